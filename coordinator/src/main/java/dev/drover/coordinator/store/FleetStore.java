package dev.drover.coordinator.store;

import dev.drover.coordinator.fleet.NodeJournal;
import dev.drover.coordinator.fleet.Transition;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Nodes, their transitions and running tasks, the delivery ledger and unacknowledged commands, in the store. */
public final class FleetStore implements NodeJournal, DeliveryLedgerStore {
    static final int HISTORY = 32;

    private final StateStore store;
    private final boolean keepFinishReports;
    /**
     * The delivery ledger in memory, loaded when this opens and changed only once a write has committed: the
     * gateway reads it for every Hello and every reliable message, on an event loop, and never waits for a disk
     * read. Ledger writes and forgets go through this instance only (one per store, as CoordinatorState does).
     */
    private final ConcurrentHashMap<String, Entry> ledgers;

    /** @param keepFinishReports keep task finishes for the built-in queue until it has applied them */
    public FleetStore(StateStore store, boolean keepFinishReports) {
        this.store = store;
        this.keepFinishReports = keepFinishReports;
        this.ledgers = new ConcurrentHashMap<>(store.read(RememberedNodes::ledgers));
    }

    @Override
    public void atomically(Runnable body) {
        store.batch(body);
    }

    @Override
    public void eventually(Runnable body) {
        store.batchLater(body);
    }

    @Override
    public void node(NodeRecord n) {
        NodeIdentity i = n.identity();
        byte[] eviction = n.eviction() != null ? Frames.encode(n.eviction()) : null;
        store.write(c -> update(c, """
                INSERT INTO nodes (node_id, version, vm_id, computer_name, scale_set, instance_id, vm_size, priority,
                    location, zone, pool, agent_version, protocol_version, slots, gpus, state, state_reason,
                    state_since, enrolled_at, eviction)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (node_id) DO UPDATE SET version = excluded.version, vm_id = excluded.vm_id,
                    computer_name = excluded.computer_name, scale_set = excluded.scale_set,
                    instance_id = excluded.instance_id, vm_size = excluded.vm_size, priority = excluded.priority,
                    location = excluded.location, zone = excluded.zone, pool = excluded.pool,
                    agent_version = excluded.agent_version, protocol_version = excluded.protocol_version,
                    slots = excluded.slots, gpus = excluded.gpus, state = excluded.state,
                    state_reason = excluded.state_reason, state_since = excluded.state_since,
                    enrolled_at = excluded.enrolled_at, eviction = excluded.eviction
                WHERE excluded.version > nodes.version""", n.id(), n.version(), i.vmId(), i.computerName(),
                i.scaleSet(), i.instanceId(), i.vmSize(), i.priority().name(), i.location(), i.zone(), i.pool(),
                n.agentVersion(), n.protocolVersion(), n.slots(), n.gpus(), n.state().name(), n.stateReason(),
                n.stateSince().toEpochMilli(), n.enrolledAt() != null ? n.enrolledAt().toEpochMilli() : null,
                eviction));
    }

    @Override
    public void transition(String nodeId, Transition t) {
        store.write(c -> history(c, nodeId, t));
    }

    /** A history row, and the node's history trimmed to its newest rows. */
    private static void history(Connection c, String nodeId, Transition t) throws SQLException {
        update(c, "INSERT INTO node_transitions (node_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)",
                nodeId, t.at().toEpochMilli(), t.from().name(), t.to().name(), t.reason());
        // by time, not insertion order: liveness moves are written later than moves made after them
        update(c, "DELETE FROM node_transitions WHERE node_id = ? AND rowid NOT IN (SELECT rowid FROM "
                + "node_transitions WHERE node_id = ? ORDER BY at DESC, rowid DESC LIMIT " + HISTORY + ")", nodeId,
                nodeId);
    }

    @Override
    public void livenessMove(NodeRecord n, Transition t) {
        Long enrolledAt = n.enrolledAt() != null ? n.enrolledAt().toEpochMilli() : null;
        store.write(c -> {
            // Written later than moves made after it: an UPDATE of this enrolment's row only if it is older, so a
            // late write never brings back a forgotten node nor overwrites what a newer move or Hello wrote.
            int kept = update(c, "UPDATE nodes SET version = ?, state = ?, state_reason = ?, state_since = ? "
                    + "WHERE node_id = ? AND version < ? AND enrolled_at IS ?", n.version(), n.state().name(),
                    n.stateReason(), n.stateSince().toEpochMilli(), n.id(), n.version(), enrolledAt);
            if (kept == 1) {
                history(c, n.id(), t);
            }
        });
    }

    @Override
    public void taskStarted(String nodeId, TaskRef task, Instant startedAt) {
        store.write(c -> update(c, "INSERT OR REPLACE INTO node_tasks (node_id, jid, tid, cid, started_at) "
                + "VALUES (?, ?, ?, ?, ?)", nodeId, task.jid(), task.tid(), task.cid(), startedAt.toEpochMilli()));
    }

    @Override
    public void taskFinished(String nodeId, String pool, TaskFinished f) {
        TaskRef t = f.task();
        store.write(c -> {
            update(c, "DELETE FROM node_tasks WHERE node_id = ? AND jid = ? AND tid = ? AND cid = ?", nodeId, t.jid(),
                    t.tid(), t.cid());
            if (keepFinishReports) {
                update(c, """
                        INSERT OR REPLACE INTO finished_reports (node_id, pool, jid, tid, cid, exit_code, signal,
                            runtime_millis, peak_rss_bytes, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        nodeId, pool, t.jid(), t.tid(), t.cid(), f.exitCode(), f.signal(), f.runtimeMillis(),
                        f.peakRssBytes(), f.finishedAtMillis());
            }
        });
    }

    @Override
    public void ledger(String nodeId, String streamId, long seq) {
        save(nodeId, streamId, seq);
    }

    @Override
    public void save(String nodeId, String streamId, long seq) {
        store.write(c -> update(c, "INSERT INTO delivery_ledger (node_id, stream_id, seq) VALUES (?, ?, ?) "
                + "ON CONFLICT (node_id) DO UPDATE SET stream_id = excluded.stream_id, seq = excluded.seq",
                nodeId, streamId, seq));
        store.afterCommit(() -> ledgers.put(nodeId, new Entry(streamId, seq)));
    }

    @Override
    public Optional<Entry> load(String nodeId) {
        return Optional.ofNullable(ledgers.get(nodeId));
    }

    @Override
    public void hostNames(String nodeId, HostNames names) {
        // only for a node the store has: the node's record is written when it enrols, before any heartbeat
        store.write(c -> update(c, "INSERT INTO node_host_names (node_id, names, addresses) SELECT ?, ?, ? "
                + "WHERE EXISTS (SELECT 1 FROM nodes WHERE node_id = ?) ON CONFLICT (node_id) DO UPDATE SET "
                + "names = excluded.names, addresses = excluded.addresses", nodeId,
                RememberedNodes.json(names.names()), RememberedNodes.json(names.addresses()), nodeId));
    }

    @Override
    public void commandQueued(String nodeId, String streamId, Reliable command, long droppedUpTo) {
        byte[] frame = Frames.encode(command);
        store.write(c -> {
            // commands of an earlier stream of this node can never be acknowledged any more
            update(c, "DELETE FROM node_commands WHERE node_id = ? AND EXISTS (SELECT 1 FROM node_command_seq s "
                    + "WHERE s.node_id = ? AND s.stream_id <> ?)", nodeId, nodeId, streamId);
            update(c, "INSERT OR REPLACE INTO node_commands (node_id, seq, frame) VALUES (?, ?, ?)", nodeId,
                    command.seq(), frame);
            // A new stream (a coordinator that lost its record of the node) starts its numbering again.
            update(c, "INSERT INTO node_command_seq (node_id, stream_id, last_seq) VALUES (?, ?, ?) "
                    + "ON CONFLICT (node_id) DO UPDATE SET last_seq = CASE WHEN stream_id = excluded.stream_id "
                    + "THEN max(last_seq, excluded.last_seq) ELSE excluded.last_seq END, "
                    + "stream_id = excluded.stream_id", nodeId, streamId, command.seq());
            if (droppedUpTo > 0) {
                update(c, "DELETE FROM node_commands WHERE node_id = ? AND seq <= ?", nodeId, droppedUpTo);
            }
        });
    }

    @Override
    public void commandsAcknowledged(String nodeId, long seq) {
        store.write(c -> update(c, "DELETE FROM node_commands WHERE node_id = ? AND seq <= ?", nodeId, seq));
    }

    @Override
    public void forget(String nodeId) {
        store.write(c -> {
            update(c, "DELETE FROM nodes WHERE node_id = ?", nodeId);
            update(c, "DELETE FROM finished_reports WHERE node_id = ?", nodeId);
        });
        store.afterCommit(() -> ledgers.remove(nodeId));
    }

    /** Every node remembered, with its history, running tasks, ledger, unacknowledged commands and host names. */
    public List<RememberedNode> loadNodes() {
        return store.read(RememberedNodes::load);
    }

    static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement p = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            p.setObject(i + 1, args[i]);
        }
        return p;
    }

    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement p = prepare(c, sql, args)) {
            return p.executeUpdate();
        }
    }
}
