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
    public record ScaleSetRef(String subscription, ScaleSetMembers members) {
    }

    private record Challenge(String nonce, Instant issued) {
    }

    private final List<X509Certificate> trust;
    private final String signerName;
    private final Duration maxAge;
    private final Map<String, ScaleSetRef> pools;
    private final LinkedHashMap<String, Challenge> outstanding = new LinkedHashMap<>();
    /** VM id → when it was first seen to exist (its first document), for VMs ARM has not listed yet. */
    private final LinkedHashMap<String, Instant> existed = new LinkedHashMap<>();
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
        ScaleSetMembers.Listing listing = scaleSet.members().latest();
        Membership m = membership(listing, claims.vmId(), existedBy(claims.vmId(), claims.createdOn()));
        if (m == Membership.MEMBER) {
            synchronized (this) {
                existed.remove(claims.vmId().toLowerCase(Locale.ROOT));
            }
        }
        if (m == Membership.UNCONFIRMED) {
            scaleSet.members().refreshSoon();
            // the key facts first: log lines are cut at 200 characters
            throw new AttestationException.Unconfirmed("VM " + claims.vmId() + " not yet confirmed by ARM as an "
                    + "instance of pool " + pool + " (" + (listing.listedAt() == null ? "no instance list yet"
                            : "last instance list " + listing.listedAt() + " is older than the VM")
                    + "); retry with a new document" + (listing.lastError().isEmpty() ? ""
                            : "; last ARM error: " + listing.lastError()));
        }
        if (m == Membership.NOT_MEMBER) {
            throw new AttestationException("VM " + claims.vmId() + " is not an instance of pool " + pool
                    + "'s scale set (not in ARM's latest instance list)");
        }
        return new Claims(claims.vmId());
    }

    /**
     * The earliest instant a VM is known to have existed: the {@code createdOn} of the first genuine document it
     * showed. Each retry brings a newer document, so comparing lists with the latest one would never settle.
     * Only signed documents of the pool's subscription get here; the map is bounded all the same.
     */
    private synchronized Instant existedBy(String vmId, Instant createdOn) {
        String key = vmId.toLowerCase(Locale.ROOT);
        Instant first = existed.get(key);
        if (first != null && !first.isAfter(createdOn)) {
            return first;
        }
        existed.remove(key);
        if (existed.size() >= MAX_OUTSTANDING) {
            Iterator<String> oldest = existed.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        existed.put(key, createdOn);
        return createdOn;
    }

    /** Whether a VM is in the scale set, as far as the coordinator can tell from ARM's latest list. */
    enum Membership { MEMBER, NOT_MEMBER, UNCONFIRMED }

    /**
     * A VM in the list is a member (a VM id is never reused, and a VM that left cannot make a fresh document). A
     * VM missing from a list taken after {@code existedBy} (its first document was made then) is not. Otherwise — no
     * list yet, ARM failing, or a list older than the VM — nobody knows yet: never admitted, the node retries.
     * Clock skew between Azure's {@code createdOn} and the head node can only move a VM between NOT_MEMBER and
     * UNCONFIRMED, never into MEMBER.
     */
    static Membership membership(ScaleSetMembers.Listing listing, String vmId, Instant existedBy) {
        if (listing.vmIds().stream().anyMatch(v -> v.equalsIgnoreCase(vmId))) {
            return Membership.MEMBER;
        }
        // createdOn has whole seconds: a list must be more than a second younger to prove anything
        if (listing.listedAt() != null && listing.listedAt().isAfter(existedBy.plusSeconds(1))) {
            return Membership.NOT_MEMBER;
        }
        return Membership.UNCONFIRMED;
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
