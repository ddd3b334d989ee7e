package dev.drover.coordinator.identity;

import dev.drover.protocol.Hello;
import dev.drover.protocol.RejectReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may speak for a node id (SECURITY.md, "Node identity"). A node id that holds a credential is spoken for only
 * by a Hello carrying it; an enrolment token (farm-wide, or a pool's until it expires) enrols a new node id once and
 * the Welcome hands out its credential; on pools with an Azure scale set the VM's attested document is needed too.
 * A live node is therefore never kicked off by a Hello without its credential, and a session id alone resumes
 * nothing. Nodes naming no configured pool are capped.
 */
public final class IdentityGate {
    private static final Logger LOGGER = LoggerFactory.getLogger(IdentityGate.class);

    /** What to do with a Hello. */
    public sealed interface Outcome permits Admit, Refuse {
    }

    /**
     * Let it in. With {@code issue}, the node gets a new credential ({@link #issue}) once the rest of the Hello is
     * found valid; {@code vmId} is the VM it proved, or empty.
     */
    public record Admit(boolean issue, String vmId) implements Outcome {
        static final Admit WITH_CREDENTIAL = new Admit(false, "");
    }

    /** Refuse it; {@code nonce} is set for ATTESTATION_REQUIRED. The detail never holds a secret. */
    public record Refuse(RejectReason reason, String detail, String nonce) implements Outcome {
    }

    private final EnrolmentPolicy tokens;
    private final NodeCredentials credentials;
    private final Attestor attestor; // null: no pool needs attestation
    private final Set<String> pools;
    private final int maxUnpooled;
    private final Clock clock;

    public IdentityGate(EnrolmentPolicy tokens, NodeCredentials credentials, Attestor attestor, Set<String> pools,
            int maxUnpooled, Clock clock) {
        this.tokens = tokens;
        this.credentials = credentials;
        this.attestor = attestor;
        this.pools = Set.copyOf(pools);
        this.maxUnpooled = maxUnpooled;
        this.clock = clock;
    }

    /** Farm tokens only, credentials in memory, no attestation: a gateway on its own (tests, benchmarks). */
    public static IdentityGate tokensOnly(java.util.List<String> farmTokens, int maxUnpooled) {
        return new IdentityGate(new EnrolmentPolicy(farmTokens, java.util.List.of()), new MemoryNodeCredentials(), null,
                Set.of(), maxUnpooled, Clock.systemUTC());
    }

    /**
     * Decides a Hello. {@code live} says whether a node id has a connected agent now.
     * Order: a held credential first (the common reconnect), then the token, then the pool's attestation. A
     * credential issued but never confirmed counts as not issued: its Welcome was lost (the agent may still hold
     * an older credential, or none), so the token path decides again.
     */
    public Outcome admit(Hello hello, Predicate<String> live) {
        Instant now = clock.instant();
        String nodeId = hello.identity().nodeId();
        var known = nodeId.isBlank() ? java.util.Optional.<NodeCredentials.Enrolled>empty() : credentials.find(nodeId);
        // Unconfirmed: the connection that got it never spoke again, so nobody proved they hold it.
        boolean lostWelcome = known.isPresent() && !known.get().confirmed();
        if (known.isPresent() && !hello.nodeCredential().isEmpty() && !lostWelcome) {
            if (Credential.matches(known.get().hash(), hello.nodeCredential())) {
                // the credential binds the pool too: a rack node cannot move itself into another pool's work
                return known.get().pool().equals(hello.identity().pool()) ? Admit.WITH_CREDENTIAL
                        : refuse(RejectReason.BAD_CREDENTIAL, "node is enrolled in pool " + known.get().pool()
                                + ", not '" + hello.identity().pool() + "'");
            }
            return refuse(RejectReason.BAD_CREDENTIAL, "node credential not accepted for this node id");
        }
        EnrolmentPolicy.Verdict verdict = tokens.check(hello.enrolmentToken(), hello.identity().pool(), now);
        if (!verdict.accepted()) {
            return refuse(RejectReason.BAD_CREDENTIAL, verdict.why());
        }
        String pool = hello.identity().pool();
        boolean attest = attestor != null && attestor.requiredFor(pool);
        // Enrolled before, and no credential presented: only a lost Welcome (never confirmed, nobody connected)
        // or the same VM proving itself again may get a new one.
        boolean needSameVm = known.isPresent() && !lostWelcome;
        if (needSameVm) {
            boolean sameVmPossible = attest && !known.get().vmId().isEmpty();
            if (!sameVmPossible) {
                return refuse(RejectReason.BAD_CREDENTIAL, "node id is enrolled: its Hello must carry its node "
                        + "credential (extension 8)" + (live.test(nodeId) ? "; the connected node keeps its session"
                                : ""));
            }
        }
        String vmId = "";
        if (attest) {
            if (hello.attestedDocument().isEmpty()) {
                return new Refuse(RejectReason.ATTESTATION_REQUIRED, "pool " + pool + " needs the VM's IMDS attested "
                        + "document for the nonce given; retry with it (extension 9)", attestor.challenge(nodeId, now));
            }
            try {
                vmId = attestor.check(nodeId, hello.identity().vmId(), pool, hello.attestedDocument(), now).vmId();
            } catch (AttestationException.Unconfirmed e) {
                // a genuine document whose VM ARM has not shown yet (a new VM, ARM down): ask again, never admit
                return new Refuse(RejectReason.ATTESTATION_REQUIRED, "attestation not confirmed: " + e.getMessage(),
                        attestor.challenge(nodeId, now));
            } catch (AttestationException e) {
                return refuse(RejectReason.BAD_CREDENTIAL, "attestation refused: " + e.getMessage());
            }
            if (needSameVm && !known.get().vmId().equalsIgnoreCase(vmId)) {
                return refuse(RejectReason.BAD_CREDENTIAL, "node id is enrolled for another VM");
            }
        }
        if (known.isEmpty() && !pools.contains(pool) && unpooled() >= maxUnpooled) {
            return refuse(RejectReason.OVERLOADED, "already " + maxUnpooled + " enrolled nodes name no configured "
                    + "pool (enrolment.maxUnpooledNodes)");
        }
        return new Admit(true, vmId);
    }

    /** Issues (and keeps the hash of) a new credential for an admitted Hello; returns it for the Welcome. */
    public String issue(Hello hello, Admit admit) {
        String nodeId = hello.identity().nodeId();
        boolean reenrolled = credentials.find(nodeId).isPresent();
        String credential = Credential.generate();
        credentials.save(new NodeCredentials.Enrolled(nodeId, Credential.hash(credential), admit.vmId(),
                hello.identity().pool(), clock.instant(), false));
        LOGGER.atInfo().addKeyValue("nodeId", nodeId).addKeyValue("pool", hello.identity().pool())
                .addKeyValue("vmId", admit.vmId()).addKeyValue("reenrolled", reenrolled).log("node credential issued");
        return credential;
    }

    /**
     * The agent spoke after the Welcome that issued {@code credential}: it has it (the agent stores it first).
     * Only that credential is confirmed: if a later Hello (on another event loop) has replaced it, the newer one
     * stays unconfirmed, so a lost Welcome of that Hello can still be retried with the token. Synchronized with
     * the gateway's Hellos, which hold this object's monitor.
     */
    public synchronized void confirmed(String nodeId, String credential) {
        credentials.find(nodeId).filter(e -> !e.confirmed() && Credential.matches(e.hash(), credential))
                .ifPresent(e -> credentials.confirm(nodeId));
    }

    /**
     * Forgets credentials of nodes the fleet no longer knows, and unpooled nodes away for {@code unpooledAway}
     * (via {@code forgetNode}, which says whether the fleet let the node go). Returns how many were forgotten.
     */
    public int sweep(Predicate<String> known, Predicate<String> forgetNode, Duration unpooledAway) {
        int forgotten = 0;
        for (NodeCredentials.Enrolled listed : credentials.all()) {
            if (forgetIfDue(listed.nodeId(), known, forgetNode, unpooledAway)) {
                forgotten++;
            }
        }
        return forgotten;
    }

    /**
     * One node's credential, decided and forgotten under the gateway's Hello lock (this object's monitor): a
     * Hello for that node is either wholly before (its fresh credential is read here, and is not stale) or
     * wholly after (it finds no credential and enrols with a token, or is refused), never half-way between its
     * credential check and its enrolment.
     */
    private synchronized boolean forgetIfDue(String nodeId, Predicate<String> known, Predicate<String> forgetNode,
            Duration unpooledAway) {
        Optional<NodeCredentials.Enrolled> current = credentials.find(nodeId);
        if (current.isEmpty()) {
            return false;
        }
        NodeCredentials.Enrolled e = current.get();
        Instant now = clock.instant();
        boolean gone = !known.test(nodeId) && e.issuedAt().isBefore(now.minus(Duration.ofMinutes(1)));
        boolean staleUnpooled = !gone && !pools.contains(e.pool()) && e.issuedAt().isBefore(now.minus(unpooledAway))
                && forgetNode.test(nodeId);
        if (!gone && !staleUnpooled) {
            return false;
        }
        credentials.forget(nodeId);
        LOGGER.atInfo().addKeyValue("nodeId", nodeId).addKeyValue("pool", e.pool())
                .log(gone ? "node credential forgotten with its node" : "unpooled node forgotten");
        return true;
    }

    /** Enrolled nodes that named no configured pool: all of them minus those of each configured pool. */
    int unpooled() {
        int pooled = 0;
        for (String pool : pools) {
            pooled += credentials.inPool(pool);
        }
        return credentials.size() - pooled;
    }

    private static Refuse refuse(RejectReason reason, String detail) {
        return new Refuse(reason, detail, "");
    }
}
