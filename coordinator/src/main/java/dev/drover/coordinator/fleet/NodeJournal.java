package dev.drover.coordinator.fleet;

import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import java.time.Instant;
import java.util.List;

/**
 * Where the fleet writes what must survive a coordinator restart (the state store in production, nothing in
 * unit tests). Each call is durable when it returns, unless made inside {@link #atomically}, whose writes are
 * durable together when it returns. Heartbeats and progress are never written: they are latest-value and
 * come again within seconds.
 */
public interface NodeJournal {

    /** Keeps nothing. */
    NodeJournal NONE = new NodeJournal() {
    };

    /** Runs {@code body} so that every write in it is kept together or not at all. */
    default void atomically(Runnable body) {
        body.run();
    }

    /**
     * Runs {@code body} now and keeps its writes together soon, off the caller's thread: for what a restart may
     * lose without harm, because nothing told the outside world about it and the node's next heartbeat says it
     * again (liveness states, see {@link Node#transition}). Writes made later are never undone by these (a
     * node's record only ever moves to a newer version).
     */
    default void eventually(Runnable body) {
        atomically(body);
    }

    /** The node as it is now; {@code version} grows with every change, and an older version never wins. */
    default void node(NodeRecord node) {
    }

    default void transition(String nodeId, Transition transition) {
    }

    /**
     * A move among Ready, Busy and Suspect, made {@link #eventually}: kept only onto the node's row as it is now
     * (never bringing back a forgotten node, never over a newer version or another enrolment of the same id),
     * with its history row.
     */
    default void livenessMove(NodeRecord node, Transition transition) {
        node(node);
        transition(node.id(), transition);
    }

    default void taskStarted(String nodeId, TaskRef task, Instant startedAt) {
    }

    /** The task left the node; also kept for the built-in queue until it has applied it. */
    default void taskFinished(String nodeId, String pool, TaskFinished finished) {
    }

    /** The delivery ledger: the agent's reliable stream (its session) and the highest sequence processed. */
    default void ledger(String nodeId, String streamId, long seq) {
    }

    /** A command given its sequence in the node's command stream {@code streamId}; commands up to {@code droppedUpTo} fell out of the full outbox. */
    default void commandQueued(String nodeId, String streamId, Reliable command, long droppedUpTo) {
    }

    default void commandsAcknowledged(String nodeId, long seq) {
    }

    /** The host names and addresses the node's agent stated (Heartbeat extension 1), when they change. */
    default void hostNames(String nodeId, HostNames names) {
    }

    /** The node was forgotten (long departed): everything about it goes. */
    default void forget(String nodeId) {
    }

    /** What is kept of a node itself. */
    record NodeRecord(String id, long version, NodeIdentity identity, String agentVersion, int protocolVersion,
            int slots, int gpus, NodeState state, String stateReason, Instant stateSince, Instant enrolledAt,
            EvictionNotice eviction) {
    }

    /** Everything remembered of one node at start-up. */
    record RememberedNode(NodeRecord node, List<Transition> history, List<TaskView> running, String streamId,
            long receivedSeq, String commandStreamId, long commandSeq, List<Reliable> pendingCommands,
            HostNames hostNames) {
        public RememberedNode {
            history = List.copyOf(history);
            running = List.copyOf(running);
            pendingCommands = List.copyOf(pendingCommands);
        }
    }
}
