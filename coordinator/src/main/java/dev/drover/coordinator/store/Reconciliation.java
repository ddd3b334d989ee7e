package dev.drover.coordinator.store;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.queue.QueueJournal;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a restarted coordinator does with the tasks it remembers as running, from what it remembers of their
 * nodes. Pure: facts in, decisions out. A task stays where it was while its node may still be running it (the
 * node has the usual Suspect and Lost times to reconnect, after which the Lost node's tasks are requeued, once);
 * it is requeued at once only if its node had already lost it (evicted, lost, gone, deleted, or forgotten) and
 * the queue had not yet taken it back when the coordinator stopped.
 */
public final class Reconciliation {
    private static final Set<NodeState> LOST_ITS_TASKS = EnumSet.of(NodeState.EVICTING, NodeState.LOST,
            NodeState.GONE, NodeState.DELETED);

    private Reconciliation() {
    }

    /** Take every Active task off {@code nodeId}; tell the node to stop them only if it may still exist. */
    public record Requeue(String nodeId, String why, boolean tellNode) {
    }

    public static List<Requeue> requeues(List<QueueJournal.TaskRecord> tasks, Map<String, NodeState> nodes) {
        Map<String, Requeue> byNode = new LinkedHashMap<>();
        for (QueueJournal.TaskRecord t : tasks) {
            if (t.state() != BuiltInQueue.State.ACTIVE || byNode.containsKey(t.node())) {
                continue;
            }
            requeue(t.node(), Optional.ofNullable(nodes.get(t.node()))).ifPresent(r -> byNode.put(t.node(), r));
        }
        return List.copyOf(byNode.values());
    }

    static Optional<Requeue> requeue(String nodeId, Optional<NodeState> state) {
        if (state.isEmpty()) {
            return Optional.of(new Requeue(nodeId, "node " + nodeId + " is no longer known after the restart", false));
        }
        NodeState s = state.get();
        if (!LOST_ITS_TASKS.contains(s)) {
            return Optional.empty();
        }
        boolean mayStillRun = s == NodeState.EVICTING || s == NodeState.LOST;
        return Optional.of(new Requeue(nodeId, "node " + nodeId + " was " + s + " when the coordinator restarted",
                mayStillRun));
    }
}
