package dev.drover.coordinator.store;

import dev.drover.coordinator.fleet.NodeJournal;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TaskView;
import dev.drover.coordinator.fleet.Transition;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Priority;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Nodes, their transitions and running tasks, the delivery ledger and unacknowledged commands, in the store. */
public final class FleetStore implements NodeJournal, DeliveryLedgerStore {
    static final int HISTORY = 32;

    private final StateStore store;
    private final boolean keepFinishReports;

    /** @param keepFinishReports keep task finishes for the built-in queue until it has applied them */
    public FleetStore(StateStore store, boolean keepFinishReports) {
        this.store = store;
        this.keepFinishReports = keepFinishReports;
    }

    @Override
    public void atomically(Runnable body) {
        store.batch(body);
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
        store.write(c -> {
            update(c, "INSERT INTO node_transitions (node_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)",
                    nodeId, t.at().toEpochMilli(), t.from().name(), t.to().name(), t.reason());
            update(c, "DELETE FROM node_transitions WHERE node_id = ? AND rowid NOT IN (SELECT rowid FROM "
                    + "node_transitions WHERE node_id = ? ORDER BY rowid DESC LIMIT " + HISTORY + ")", nodeId, nodeId);
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
    }

    @Override
    public Optional<Entry> load(String nodeId) {
        return store.read(c -> {
            try (PreparedStatement p = prepare(c, "SELECT stream_id, seq FROM delivery_ledger WHERE node_id = ?",
                    nodeId); ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(new Entry(r.getString(1), r.getLong(2))) : Optional.empty();
            }
        });
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
    }

    /** Every node remembered, with its history, running tasks, ledger and unacknowledged commands. */
    public List<RememberedNode> loadNodes() {
        return store.read(c -> {
            List<RememberedNode> all = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM nodes ORDER BY node_id");
                    ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    NodeRecord n = nodeRecord(r);
                    Optional<Entry> ledger = ledgerOf(c, n.id());
                    all.add(new RememberedNode(n, history(c, n.id()), running(c, n.id()),
                            ledger.map(Entry::streamId).orElse(""), ledger.map(Entry::seq).orElse(0L),
                            commandStream(c, n.id()), commandSeq(c, n.id()), commands(c, n.id())));
                }
            }
            return all;
        });
    }

    private static NodeRecord nodeRecord(ResultSet r) throws SQLException {
        String id = r.getString("node_id");
        NodeIdentity identity = new NodeIdentity(id, r.getString("vm_id"), r.getString("computer_name"),
                r.getString("scale_set"), r.getString("instance_id"), r.getString("vm_size"),
                Priority.valueOf(r.getString("priority")), r.getString("location"), r.getString("zone"),
                r.getString("pool"));
        long enrolled = r.getLong("enrolled_at");
        Instant enrolledAt = r.wasNull() ? null : Instant.ofEpochMilli(enrolled);
        byte[] eviction = r.getBytes("eviction");
        return new NodeRecord(id, r.getLong("version"), identity, r.getString("agent_version"),
                r.getInt("protocol_version"), r.getInt("slots"), r.getInt("gpus"), NodeState.valueOf(r.getString("state")),
                r.getString("state_reason"), Instant.ofEpochMilli(r.getLong("state_since")), enrolledAt,
                eviction != null ? (EvictionNotice) Frames.decode(eviction) : null);
    }

    private static List<Transition> history(Connection c, String nodeId) throws SQLException {
        List<Transition> list = new ArrayList<>();
        try (PreparedStatement p = prepare(c, "SELECT at, from_state, to_state, reason FROM node_transitions "
                + "WHERE node_id = ? ORDER BY rowid", nodeId); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                list.add(new Transition(NodeState.valueOf(r.getString(2)), NodeState.valueOf(r.getString(3)),
                        r.getString(4), Instant.ofEpochMilli(r.getLong(1))));
            }
        }
        return list;
    }

    private static List<TaskView> running(Connection c, String nodeId) throws SQLException {
        List<TaskView> list = new ArrayList<>();
        try (PreparedStatement p = prepare(c, "SELECT jid, tid, cid, started_at FROM node_tasks WHERE node_id = ? "
                + "ORDER BY started_at", nodeId); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                list.add(new TaskView(new TaskRef(r.getLong(1), r.getInt(2), r.getInt(3)), true, 0, -1, -1,
                        Instant.ofEpochMilli(r.getLong(4)), null, null, null, 0, 0, -1));
            }
        }
        return list;
    }

    private static Optional<Entry> ledgerOf(Connection c, String nodeId) throws SQLException {
        try (PreparedStatement p = prepare(c, "SELECT stream_id, seq FROM delivery_ledger WHERE node_id = ?", nodeId);
                ResultSet r = p.executeQuery()) {
            return r.next() ? Optional.of(new Entry(r.getString(1), r.getLong(2))) : Optional.empty();
        }
    }

    private static String commandStream(Connection c, String nodeId) throws SQLException {
        try (PreparedStatement p = prepare(c, "SELECT stream_id FROM node_command_seq WHERE node_id = ?", nodeId);
                ResultSet r = p.executeQuery()) {
            return r.next() ? r.getString(1) : "";
        }
    }

    private static long commandSeq(Connection c, String nodeId) throws SQLException {
        try (PreparedStatement p = prepare(c, "SELECT last_seq FROM node_command_seq WHERE node_id = ?", nodeId);
                ResultSet r = p.executeQuery()) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    private static List<Reliable> commands(Connection c, String nodeId) throws SQLException {
        List<Reliable> list = new ArrayList<>();
        try (PreparedStatement p = prepare(c, "SELECT frame FROM node_commands WHERE node_id = ? ORDER BY seq",
                nodeId); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                list.add((Reliable) Frames.decode(r.getBytes(1)));
            }
        }
        return list;
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
