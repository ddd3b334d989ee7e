package dev.drover.coordinator.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.protocol.Hello;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.RejectReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who may speak for a node id, decided without a network: credentials, tokens, liveness, the unpooled cap. */
class IdentityGateTest {
    private static final String FARM = "farm-token-0123456789";
    private static final String POOL_TOKEN = "pool-token-0123456789";
    private static final Instant NOW = Instant.parse("2026-11-30T02:00:00Z");

    private final MemoryNodeCredentials credentials = new MemoryNodeCredentials();
    private final Set<String> live = new HashSet<>();
    private final IdentityGate gate = new IdentityGate(new EnrolmentPolicy(List.of(FARM),
            List.of(new EnrolmentPolicy.PoolToken("rack", POOL_TOKEN, NOW.plus(Duration.ofDays(1))))), credentials, null,
            Set.of("it", "rack"), 2, Clock.fixed(NOW, ZoneOffset.UTC));

    private static Hello hello(String nodeId, String pool, String token) {
        return new Hello(1, 1, "t", NodeIdentity.local(nodeId, pool), 1, 0, token, "", 0);
    }

    /** Enrols a node as a real agent would, and confirms it (the agent spoke after the Welcome). */
    private String enrol(String nodeId) {
        Hello h = hello(nodeId, "it", FARM);
        IdentityGate.Admit admit = (IdentityGate.Admit) gate.admit(h, live::contains);
        String credential = gate.issue(h, admit);
        gate.confirmed(nodeId, credential);
        return credential;
    }

    private IdentityGate.Refuse refused(Hello h) {
        IdentityGate.Outcome o = gate.admit(h, live::contains);
        assertThat(o).isInstanceOf(IdentityGate.Refuse.class);
        return (IdentityGate.Refuse) o;
    }

    @Test
    void aNewNodeWithTheTokenGetsACredentialWhoseHashAloneIsKept() {
        String credential = enrol("n1");

        assertThat(credential).startsWith("dnc1.").hasSizeGreaterThan(40);
        NodeCredentials.Enrolled kept = credentials.find("n1").orElseThrow();
        assertThat(kept.hash()).isEqualTo(Credential.hash(credential)).isNotEqualTo(credential.getBytes());
        assertThat(kept.confirmed()).isTrue();
    }

    @Test
    void theCredentialLetsItsNodeBackInWithoutIssuingANewOne() {
        String credential = enrol("n1");
        live.add("n1");

        IdentityGate.Outcome o = gate.admit(hello("n1", "it", "").withProof(credential, ""), live::contains);

        assertThat(o).isEqualTo(new IdentityGate.Admit(false, ""));
    }

    @Test
    void theTokenAloneCannotSpeakForAnEnrolledNodeLiveOrAway() {
        enrol("n1");
        live.add("n1");
        assertThat(refused(hello("n1", "it", FARM)).detail()).contains("node credential")
                .contains("keeps its session");
        live.clear();
        assertThat(refused(hello("n1", "it", FARM)).reason()).isEqualTo(RejectReason.BAD_CREDENTIAL);
    }

    @Test
    void theCredentialDoesNotMoveItsNodeToAnotherPool() {
        String credential = enrol("n1");

        assertThat(refused(hello("n1", "rack", "").withProof(credential, "")).detail()).contains("enrolled in pool it");
    }

    @Test
    void anotherNodesCredentialOrAGuessIsRefused() {
        String a = enrol("a");
        enrol("b");

        assertThat(refused(hello("b", "it", FARM).withProof(a, "")).detail()).contains("not accepted");
        assertThat(refused(hello("b", "it", FARM).withProof("dnc1.guess", "")).reason())
                .isEqualTo(RejectReason.BAD_CREDENTIAL);
    }

    @Test
    void aWelcomeThatNeverArrivedCanBeRetriedWithTheToken() {
        Hello h = hello("n1", "it", FARM);
        gate.issue(h, (IdentityGate.Admit) gate.admit(h, live::contains)); // never confirmed: the Welcome was lost

        assertThat(gate.admit(h, live::contains)).isEqualTo(new IdentityGate.Admit(true, ""));
        assertThat(gate.admit(h.withProof("dnc1.an-older-credential", ""), live::contains))
                .as("the agent still holds the credential the lost Welcome replaced").isEqualTo(new IdentityGate.Admit(true, ""));
        // once the agent spoke after a Welcome, the token alone is refused again
        String latest = gate.issue(h, (IdentityGate.Admit) gate.admit(h, live::contains));
        gate.confirmed("n1", latest);
        assertThat(refused(h).reason()).isEqualTo(RejectReason.BAD_CREDENTIAL);
    }

    @Test
    void anOlderConnectionSpeakingLateDoesNotConfirmTheCredentialThatReplacedIts() {
        // connection 1 got C1; before it spoke, a second Hello (another event loop) was issued C2, whose Welcome
        // may yet be lost; connection 1's first message must not confirm C2, or that agent could never retry
        Hello h = hello("n1", "it", FARM);
        String c1 = gate.issue(h, (IdentityGate.Admit) gate.admit(h, live::contains));
        String c2 = gate.issue(h, (IdentityGate.Admit) gate.admit(h, live::contains));

        gate.confirmed("n1", c1);

        assertThat(credentials.find("n1").orElseThrow().confirmed()).isFalse();
        assertThat(gate.admit(h, live::contains)).as("C2's Welcome may be retried with the token")
                .isEqualTo(new IdentityGate.Admit(true, ""));
        gate.confirmed("n1", c2);
        assertThat(credentials.find("n1").orElseThrow().confirmed()).isTrue();
    }

    @Test
    void poolTokensAdmitOnlyTheirPool() {
        assertThat(gate.admit(hello("r1", "rack", POOL_TOKEN), live::contains)).isInstanceOf(IdentityGate.Admit.class);
        assertThat(refused(hello("r2", "it", POOL_TOKEN)).detail()).contains("for pool rack");
    }

    @Test
    void expiredPoolTokensAreRefusedNamingPoolAndExpiryButNotTheToken() {
        EnrolmentPolicy policy = new EnrolmentPolicy(List.of(),
                List.of(new EnrolmentPolicy.PoolToken("rack", POOL_TOKEN, NOW.minusSeconds(1))));

        EnrolmentPolicy.Verdict v = policy.check(POOL_TOKEN, "rack", NOW);

        assertThat(v.accepted()).isFalse();
        assertThat(v.why()).contains("rack").contains("expired").doesNotContain(POOL_TOKEN);
    }

    @Test
    void nodesOutsideAnyPoolAreCappedAndForgottenWhenAway() {
        String[] ids = {"stray-1", "stray-2"};
        for (String id : ids) {
            Hello h = hello(id, "nowhere", FARM);
            gate.issue(h, (IdentityGate.Admit) gate.admit(h, live::contains));
        }
        assertThat(refused(hello("stray-3", "nowhere", FARM)).reason()).isEqualTo(RejectReason.OVERLOADED);
        assertThat(gate.admit(hello("pooled", "it", FARM), live::contains)).isInstanceOf(IdentityGate.Admit.class);

        // forgotten once away long enough (the fleet agrees to forget them), then there is room again
        int forgotten = gate.sweep(id -> true, id -> true, Duration.ofMinutes(-1));

        assertThat(forgotten).isEqualTo(2);
        assertThat(gate.admit(hello("stray-3", "nowhere", FARM), live::contains)).isInstanceOf(IdentityGate.Admit.class);
    }

    @Test
    void theUnpooledCountFollowsEveryChangeOfACredentialsPool() {
        // a configured-pool node enrolled again under an unconfigured pool (its credential replaced) counts as
        // unpooled; forgetting it frees the room; many pooled nodes never count
        for (int i = 0; i < 50; i++) {
            enrol("pooled-" + i);
        }
        Hello stray = hello("stray-1", "nowhere", FARM);
        gate.issue(stray, (IdentityGate.Admit) gate.admit(stray, live::contains));
        credentials.save(new NodeCredentials.Enrolled("pooled-0", new byte[32], "", "nowhere", NOW, true));

        assertThat(gate.unpooled()).isEqualTo(2);
        assertThat(credentials.inPool("it")).isEqualTo(49);
        assertThat(refused(hello("stray-3", "nowhere", FARM)).reason()).isEqualTo(RejectReason.OVERLOADED);

        credentials.forget("pooled-0");
        credentials.forget("not-enrolled");

        assertThat(gate.unpooled()).isEqualTo(1);
        assertThat(credentials.size()).isEqualTo(50);
        assertThat(gate.admit(hello("stray-3", "nowhere", FARM), live::contains)).isInstanceOf(IdentityGate.Admit.class);
    }

    @Test
    void theSweepNeverForgetsANodeHalfWayThroughItsHello() throws Exception {
        dev.drover.coordinator.fleet.MutableClock clock = new dev.drover.coordinator.fleet.MutableClock(NOW);
        MemoryNodeCredentials creds = new MemoryNodeCredentials();
        IdentityGate g = new IdentityGate(new EnrolmentPolicy(List.of(FARM), List.of()), creds, null, Set.of("it"), 5,
                clock);
        Hello h = hello("stray-1", "nowhere", FARM);
        g.issue(h, (IdentityGate.Admit) g.admit(h, id -> false));
        clock.advance(Duration.ofHours(2)); // away long enough to be forgotten, unless it is back
        Set<String> connected = java.util.concurrent.ConcurrentHashMap.newKeySet();
        int[] forgotten = {-1};
        Thread sweeper = new Thread(() -> forgotten[0] = g.sweep(id -> true, id -> !connected.contains(id),
                Duration.ofHours(1)));
        synchronized (g) { // the gateway's Hello lock: stray-1's credential accepted, its session not yet bound
            sweeper.start();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> sweeper.getState() == Thread.State.BLOCKED);
            connected.add("stray-1"); // the Hello binds its session
        }
        sweeper.join(30_000);

        assertThat(forgotten[0]).isZero();
        assertThat(creds.find("stray-1")).as("a node whose Hello was let in keeps its credential").isPresent();
    }
}
