package dev.drover.coordinator.identity;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Binds an Azure node to its VM: hands out one-use nonces (Reject ATTESTATION_REQUIRED) and checks the attested
 * document that comes back against them, the trust root, its age, and the pool's scale set (subscription, and the
 * VM in the coordinator's latest ARM instance list). The clock is passed in, so tests decide what "now" is.
 */
public final class Attestor {
    /** Azure's signing certificate name (IMDS doc, "Attested data": validate the certificate is for this name). */
    public static final String AZURE_SIGNER = "metadata.azure.com";
    /** How long a nonce may be answered. */
    static final Duration NONCE_TTL = Duration.ofMinutes(2);
    /** Most outstanding nonces (one per node id): a flood of Hellos cannot grow this without bound. */
    static final int MAX_OUTSTANDING = 20_000;
    /** Clock skew allowed between Azure's timeStamp and the head node. */
    static final Duration SKEW = Duration.ofMinutes(1);

    /** A pool's Azure scale set, as attestation needs it. */
    public record ScaleSetRef(String subscription, Supplier<Set<String>> vmIds) {
    }

    private record Challenge(String nonce, Instant issued) {
    }

    private final List<X509Certificate> trust;
    private final String signerName;
    private final Duration maxAge;
    private final Map<String, ScaleSetRef> pools;
    private final LinkedHashMap<String, Challenge> outstanding = new LinkedHashMap<>();
    private final SecureRandom random = new SecureRandom();

    public Attestor(List<X509Certificate> trust, String signerName, Duration maxAge, Map<String, ScaleSetRef> pools) {
        this.trust = List.copyOf(trust);
        this.signerName = signerName.toLowerCase(Locale.ROOT);
        this.maxAge = maxAge;
        this.pools = Map.copyOf(pools);
    }

    /** Whether a node of this pool must prove its VM before it gets a credential. */
    public boolean requiredFor(String pool) {
        return pools.containsKey(pool);
    }

    /** A new nonce for this node id (10 digits, as IMDS takes it), replacing any earlier one. */
    public synchronized String challenge(String nodeId, Instant now) {
        expire(now);
        if (outstanding.size() >= MAX_OUTSTANDING) {
            Iterator<String> oldest = outstanding.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        String nonce = String.format(Locale.ROOT, "%010d", (long) (random.nextDouble() * 10_000_000_000L));
        outstanding.remove(nodeId);
        outstanding.put(nodeId, new Challenge(nonce, now));
        return nonce;
    }

    /**
     * Checks a document presented for {@code nodeId}; the node's nonce is used up whatever the outcome.
     *
     * @return the claims, once every check passed
     * @throws AttestationException naming the first check that failed
     */
    public Claims check(String nodeId, String claimedVmId, String pool, String document, Instant now) {
        Challenge challenge;
        synchronized (this) {
            expire(now);
            challenge = outstanding.remove(nodeId);
        }
        if (challenge == null) {
            throw new AttestationException("no attestation nonce outstanding for this node id (expired or never "
                    + "issued); reconnect without a document to get one");
        }
        ScaleSetRef scaleSet = pools.get(pool);
        if (scaleSet == null) {
            throw new AttestationException("pool '" + pool + "' has no Azure scale set to attest against");
        }
        AttestedDocument.Claims claims = AttestedDocument.verify(document, trust, signerName, now);
        if (!claims.nonce().equals(challenge.nonce())) {
            throw new AttestationException("attested document is for another nonce");
        }
        if (claims.createdOn().isAfter(now.plus(SKEW)) || claims.createdOn().isBefore(now.minus(maxAge))) {
            throw new AttestationException("attested document was created at " + claims.createdOn()
                    + ", not within " + maxAge.toSeconds() + " s of now");
        }
        if (!claims.expiresOn().isAfter(now)) {
            throw new AttestationException("attested document expired at " + claims.expiresOn());
        }
        if (!claims.vmId().equalsIgnoreCase(claimedVmId)) {
            throw new AttestationException("attested document names VM " + claims.vmId()
                    + ", the Hello names VM '" + claimedVmId + "'");
        }
        if (!claims.subscriptionId().equalsIgnoreCase(scaleSet.subscription())) {
            throw new AttestationException("attested VM is in subscription " + claims.subscriptionId()
                    + ", not the one of pool " + pool);
        }
        Set<String> vms = scaleSet.vmIds().get();
        if (vms.stream().noneMatch(v -> v.equalsIgnoreCase(claims.vmId()))) {
            throw new AttestationException("VM " + claims.vmId() + " is not an instance of pool " + pool
                    + "'s scale set (as last listed from ARM)");
        }
        return new Claims(claims.vmId());
    }

    /** What a passed attestation established. */
    public record Claims(String vmId) {
    }

    public synchronized int outstanding() {
        return outstanding.size();
    }

    private void expire(Instant now) {
        outstanding.values().removeIf(c -> c.issued().plus(NONCE_TTL).isBefore(now));
    }

}
