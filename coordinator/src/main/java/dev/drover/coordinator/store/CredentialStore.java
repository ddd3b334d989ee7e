package dev.drover.coordinator.store;

import dev.drover.coordinator.identity.EnrolledIndex;
import dev.drover.coordinator.identity.NodeCredentials;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Node credential hashes in the state store, so an agent's credential still works after a coordinator restart.
 * Each write commits before it returns: a credential is only sent in a Welcome once it is kept.
 *
 * <p>Reads come from an index in memory, loaded once when this opens and changed only after each write has
 * committed: a Hello (on an event loop, thousands at once after a coordinator restart) never waits for a disk
 * read. Only one instance may exist per store (CoordinatorState keeps it), or the indexes would differ.
 */
public final class CredentialStore implements NodeCredentials {
    private static final String COLUMNS = "node_id, hash, vm_id, pool, issued_at, confirmed";
    private final StateStore store;
    private final EnrolledIndex index = new EnrolledIndex();

    public CredentialStore(StateStore store) {
        this.store = store;
        store.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM node_credentials");
                    ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Enrolled e = row(r);
                    index.put(e);
                }
            }
            return null;
        });
    }

    @Override
    public Optional<Enrolled> find(String nodeId) {
        return index.find(nodeId);
    }

    @Override
    public void save(Enrolled e) {
        store.write(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT OR REPLACE INTO node_credentials (" + COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?)")) {
                p.setString(1, e.nodeId());
                p.setBytes(2, e.hash());
                p.setString(3, e.vmId());
                p.setString(4, e.pool());
                p.setLong(5, e.issuedAt().toEpochMilli());
                p.setInt(6, e.confirmed() ? 1 : 0);
                p.executeUpdate();
            }
        });
        store.afterCommit(() -> index.put(e));
    }

    @Override
    public void confirm(String nodeId) {
        store.write(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE node_credentials SET confirmed = 1 WHERE node_id = ?")) {
                p.setString(1, nodeId);
                p.executeUpdate();
            }
        });
        store.afterCommit(() -> index.confirm(nodeId));
    }

    @Override
    public void forget(String nodeId) {
        store.write(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM node_credentials WHERE node_id = ?")) {
                p.setString(1, nodeId);
                p.executeUpdate();
            }
        });
        store.afterCommit(() -> index.remove(nodeId));
    }

    @Override
    public List<Enrolled> all() {
        return index.all();
    }

    @Override
    public int size() {
        return index.size();
    }

    @Override
    public int inPool(String pool) {
        return index.inPool(pool);
    }

    private static Enrolled row(ResultSet r) throws java.sql.SQLException {
        return new Enrolled(r.getString(1), r.getBytes(2), r.getString(3), r.getString(4),
                Instant.ofEpochMilli(r.getLong(5)), r.getInt(6) == 1);
    }
}
