package dev.drover.coordinator.identity;

import java.util.List;
import java.util.Optional;

/** Node credentials in memory: a coordinator without a state store (tests); lost on restart, like its nodes. */
public final class MemoryNodeCredentials implements NodeCredentials {
    private final EnrolledIndex index = new EnrolledIndex();

    @Override
    public Optional<Enrolled> find(String nodeId) {
        return index.find(nodeId);
    }

    @Override
    public void save(Enrolled enrolled) {
        index.put(enrolled);
    }

    @Override
    public void confirm(String nodeId) {
        index.confirm(nodeId);
    }

    @Override
    public void forget(String nodeId) {
        index.remove(nodeId);
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
}
