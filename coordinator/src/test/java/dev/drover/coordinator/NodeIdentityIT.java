package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.gateway.TlsClient;
import dev.drover.protocol.Ack;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reject;
import dev.drover.protocol.RejectReason;
import dev.drover.protocol.Welcome;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-node identity against the real coordinator jar and a real agent (SECURITY.md, "Node identity"): a rogue
 * holding the enrolment secret cannot take over a live node's id, resume its session or report for it; a
 * restarted agent gets back in with the credential it kept; an expired pool token is refused without the token
 * ever reaching the log.
 */
class NodeIdentityIT {
    private static final String TOKEN = "identity-farm-token-0123456789";
    private static final String EXPIRED = "identity-expired-pool-token-0123";
    private static final String RACK = "identity-rack-pool-token-456789";

    @TempDir
    Path dir;

    private final List<JarProcess> processes = new ArrayList<>();
    private RunningCoordinator coordinator;
    private CoordinatorApi api;

    @BeforeEach
    void startCoordinator() throws Exception {
        coordinator = RunningCoordinator.startWithEnrolment(dir, "identity-coordinator", "{tokens: [" + TOKEN
                + "], poolTokens: [{pool: old-rack, token: " + EXPIRED + ", expires: '2020-01-01T00:00:00Z'}, "
                + "{pool: rack, token: " + RACK + ", expires: '2999-01-01T00:00:00Z'}]}", ", helloTimeoutMillis: 5000",
                "liveness: {heartbeatIntervalMillis: 300, jitterPercent: 20, suspectAfterMissed: 3, lostAfterMillis: 30000}");
        processes.add(coordinator.process());
        api = coordinator.api();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (JarProcess p : processes) {
            p.close();
        }
    }

    private JarProcess startAgent(String nodeId, String name) throws Exception {
        List<String> args = new ArrayList<>(coordinator.agentArgs());
        args.addAll(List.of("--node-id", nodeId, "--pool", "it", "--no-imds", "--state-dir",
                dir.resolve("state-" + nodeId).toString()));
        JarProcess agent = JarProcess.start(JarProcess.AGENT_JAR, "identity-" + name, args,
                Map.of("DROVER_ENROLMENT_TOKEN", TOKEN));
        processes.add(agent);
        return agent;
    }

    private TlsClient rogue() throws Exception {
        return new TlsClient(TestTls.caFile(dir), "127.0.0.1", coordinator.gatewayPort());
    }

    private static Hello hello(String nodeId, String pool, String token, String previousSession) {
        return new Hello(1, 1, "rogue", NodeIdentity.local(nodeId, pool), 1, 0, token, previousSession, 0);
    }

    private void awaitState(String nodeId, String state) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> api.state(nodeId).equals(state));
    }

    @Test
    void rogueWithTheEnrolmentSecretCannotTakeOverResumeOrReportForALiveNode() throws Exception {
        // given a real agent enrolled and Ready
        startAgent("victim", "victim");
        awaitState("victim", "READY");
        // ...and heard from after its Welcome: until the agent speaks, its new credential is unconfirmed, and the
        // gate rightly lets the enrolment secret enrol that node again (the Welcome may have been lost)
        await().atMost(Duration.ofSeconds(60)).until(() -> api.node("victim").map(n -> n.getValue("lastHeartbeat"))
                .isPresent());
        JsonObject before = api.node("victim").orElseThrow();
        String session = before.getString("sessionId");

        // when a rogue with the farm's enrolment token says Hello as the victim, naming the victim's session
        try (TlsClient c = rogue()) {
            c.send(hello("victim", "it", TOKEN, session));
            Message answer = c.receive();
            // then it is refused, and the connection closed
            assertThat(answer).isInstanceOf(Reject.class);
            assertThat(((Reject) answer).reason()).isEqualTo(RejectReason.BAD_CREDENTIAL);
            assertThat(((Reject) answer).detail()).contains("node credential");
            assertThat(c.closedByServer(10_000)).isTrue();
        }
        // and with a made-up credential too
        try (TlsClient c = rogue()) {
            c.send(hello("victim", "it", TOKEN, session).withProof("dnc1.guessed-credential-000000000000", ""));
            assertThat(((Reject) c.receive()).reason()).isEqualTo(RejectReason.BAD_CREDENTIAL);
        }

        // when the rogue enrols as itself and reports a Preempt on its own connection
        try (TlsClient c = rogue()) {
            c.send(hello("rogue-1", "it", TOKEN, ""));
            Welcome w = (Welcome) c.receive();
            assertThat(w.nodeId()).isEqualTo("rogue-1");
            assertThat(w.nodeCredential()).as("a new node gets its credential").isNotEmpty();
            c.send(new EvictionNotice(1, "forged-event", EvictionType.PREEMPT, 0, "forged", System.currentTimeMillis()));
            Message m;
            do {
                m = c.receive();
            } while (!(m instanceof Ack a && a.seq() == 1));
            // then the notice lands on the rogue's own node only
            await().atMost(Duration.ofSeconds(30)).until(() -> api.state("rogue-1").equals("EVICTING"));
        }

        // then the victim was never disturbed: same session, still connected and Ready, no eviction
        JsonObject after = api.node("victim").orElseThrow();
        assertThat(after.getString("state")).isEqualTo("READY");
        assertThat(after.getString("sessionId")).isEqualTo(session);
        assertThat(after.getBoolean("connected")).isTrue();
        assertThat(after.getValue("eviction")).isNull();
    }

    @Test
    void restartedAgentGetsBackInWithItsStoredCredentialButAnImpostorWithoutItDoesNot() throws Exception {
        // given an agent that enrolled and keeps its credential in its state directory
        JarProcess first = startAgent("keeper", "keeper-1");
        awaitState("keeper", "READY");
        Path credential = dir.resolve("state-keeper").resolve("node-credential");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(credential));
        String kept = Files.readString(credential).trim();
        assertThat(Files.readString(first.logPath())).doesNotContain(kept);

        // when it dies and is started again with the same state directory
        first.kill();
        awaitState("keeper", "SUSPECT");
        startAgent("keeper", "keeper-2");

        // then it is Ready again as the same node, with the same credential
        awaitState("keeper", "READY");
        assertThat(api.nodes()).hasSize(1);
        assertThat(Files.readString(credential).trim()).isEqualTo(kept);

        // and a rogue without the credential (only the token) is refused while the node is away or present
        try (TlsClient c = rogue()) {
            c.send(hello("keeper", "it", TOKEN, ""));
            assertThat(((Reject) c.receive()).reason()).isEqualTo(RejectReason.BAD_CREDENTIAL);
        }
        assertThat(Files.readString(coordinator.process().logPath())).doesNotContain(kept);
    }

    @Test
    void poolTokensEnrolOnlyIntoTheirPoolAndNotOnceExpired() throws Exception {
        // an expired pool token: refused with a reason naming the pool and the expiry
        try (TlsClient c = rogue()) {
            c.send(hello("old-1", "old-rack", EXPIRED, ""));
            Reject r = (Reject) c.receive();
            assertThat(r.reason()).isEqualTo(RejectReason.BAD_CREDENTIAL);
            assertThat(r.detail()).contains("old-rack").contains("expired");
        }
        // a valid pool token for another pool: refused
        try (TlsClient c = rogue()) {
            c.send(hello("rack-x", "it", RACK, ""));
            Reject r = (Reject) c.receive();
            assertThat(r.reason()).isEqualTo(RejectReason.BAD_CREDENTIAL);
            assertThat(r.detail()).contains("for pool rack");
        }
        // the same token for its own pool: welcome, with a credential
        try (TlsClient c = rogue()) {
            c.send(hello("rack-1", "rack", RACK, ""));
            assertThat(((Welcome) c.receive()).nodeCredential()).isNotEmpty();
        }
        assertThat(api.node("old-1")).isEmpty();
        assertThat(api.node("rack-x")).isEmpty();
        // the coordinator logged why, never the token
        Path log = coordinator.process().logPath();
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(log).contains("expired"));
        assertThat(Files.readString(log)).doesNotContain(EXPIRED).doesNotContain(RACK).doesNotContain(TOKEN);
    }
}
