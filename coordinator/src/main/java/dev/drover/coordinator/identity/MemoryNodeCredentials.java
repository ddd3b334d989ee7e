package dev.drover.coordinator.identity;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Node credentials in memory: a coordinator without a state store (tests); lost on restart, like its nodes. */
public final class MemoryNodeCredentials implements NodeCredentials {
    private final ConcurrentHashMap<String, Enrolled> byNode = new ConcurrentHashMap<>();

    @Override
    public Optional<Enrolled> find(String nodeId) {
        return Optional.ofNullable(byNode.get(nodeId));
    }

    @Override
    public void save(Enrolled enrolled) {
        byNode.put(enrolled.nodeId(), enrolled);
    }

    @Override
    public void confirm(String nodeId) {
        byNode.computeIfPresent(nodeId, (id, e) -> new Enrolled(id, e.hash(), e.vmId(), e.pool(), e.issuedAt(), true));
    }

    @Override
    public void forget(String nodeId) {
        byNode.remove(nodeId);
    }

    @Override
    public List<Enrolled> all() {
        return List.copyOf(byNode.values());
    }
}
