package dev.drover.coordinator.identity;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The enrolled nodes in memory, by node id, with a count per pool kept as they change: the enrolment cap for
 * nodes of no configured pool is checked on every new enrolment, and counting by a walk over every credential
 * made enrolling N nodes cost N² (at 10,000 agents it was most of the gateway's time). Changes are
 * serialised (they are rare: one per enrolment); lookups and counts need no lock.
 */
public final class EnrolledIndex {
    private final ConcurrentHashMap<String, NodeCredentials.Enrolled> byNode = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> perPool = new ConcurrentHashMap<>();

    public Optional<NodeCredentials.Enrolled> find(String nodeId) {
        return Optional.ofNullable(byNode.get(nodeId));
    }

    public synchronized void put(NodeCredentials.Enrolled e) {
        NodeCredentials.Enrolled old = byNode.put(e.nodeId(), e);
        if (old != null) {
            count(old.pool(), -1);
        }
        count(e.pool(), 1);
    }

    public synchronized void confirm(String nodeId) {
        byNode.computeIfPresent(nodeId, (id, e) -> new NodeCredentials.Enrolled(id, e.hash(), e.vmId(), e.pool(),
                e.issuedAt(), true));
    }

    public synchronized void remove(String nodeId) {
        NodeCredentials.Enrolled old = byNode.remove(nodeId);
        if (old != null) {
            count(old.pool(), -1);
        }
    }

    public List<NodeCredentials.Enrolled> all() {
        return List.copyOf(byNode.values());
    }

    public int size() {
        return byNode.size();
    }

    public int inPool(String pool) {
        return perPool.getOrDefault(pool, 0);
    }

    private void count(String pool, int delta) {
        perPool.merge(pool, delta, (a, b) -> a + b == 0 ? null : a + b);
    }
}
