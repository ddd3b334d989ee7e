package dev.drover.coordinator.identity;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Where the hash of each node's credential is kept: the state store, or memory for a coordinator without one. */
public interface NodeCredentials {

    /**
     * One enrolled node.
     *
     * @param hash SHA-256 of the credential (never the credential itself)
     * @param vmId the Azure VM the node proved it runs on; empty when it enrolled with a token only
     * @param pool the pool the node named when it enrolled
     * @param confirmed the agent has used the credential (spoken after the Welcome that issued it); until then a
     *     token may enrol the node again, in case that Welcome was lost
     */
    record Enrolled(String nodeId, byte[] hash, String vmId, String pool, Instant issuedAt, boolean confirmed) {
    }

    Optional<Enrolled> find(String nodeId);

    /** Replaces any credential the node had. */
    void save(Enrolled enrolled);

    void confirm(String nodeId);

    void forget(String nodeId);

    List<Enrolled> all();

    /** How many nodes are enrolled. */
    int size();

    /** How many enrolled nodes named this pool (kept as credentials change, not counted by a walk). */
    int inPool(String pool);
}
