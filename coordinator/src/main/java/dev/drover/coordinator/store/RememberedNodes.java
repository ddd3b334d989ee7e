package dev.drover.coordinator.store;

import dev.drover.coordinator.fleet.NodeJournal.NodeRecord;
import dev.drover.coordinator.fleet.NodeJournal.RememberedNode;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TaskView;
import dev.drover.coordinator.fleet.Transition;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Priority;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskRef;
import io.vertx.core.json.JsonArray;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every remembered node at start-up with one query per table (seven in all, whatever the fleet's size),
 * not a handful per node: a restart with 10,000 nodes would otherwise spend seconds on 50,000 small queries
 * before the gateway opens (BENCHMARKS.md, "Restore").
 */
final class RememberedNodes {
    private RememberedNodes() {
    }

    static List<RememberedNode> load(Connection c) throws SQLException {
        Map<String, List<Transition>> history = new HashMap<>();
        // in time order (liveness moves are written after moves made later), which is the index's order
        try (PreparedStatement p = c.prepareStatement("SELECT node_id, at, from_state, to_state, reason "
                + "FROM node_transitions ORDER BY node_id, at, rowid"); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                history.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(new Transition(
                        NodeState.valueOf(r.getString(3)), NodeState.valueOf(r.getString(4)), r.getString(5),
                        Instant.ofEpochMilli(r.getLong(2))));
            }
        }
        Map<String, List<TaskView>> running = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT node_id, jid, tid, cid, started_at FROM node_tasks "
                + "ORDER BY started_at"); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                running.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(new TaskView(
                        new TaskRef(r.getLong(2), r.getInt(3), r.getInt(4)), true, 0, -1, -1,
                        Instant.ofEpochMilli(r.getLong(5)), null, null, null, 0, 0, -1));
            }
        }
        Map<String, DeliveryLedgerStore.Entry> ledgers = ledgers(c);
        Map<String, DeliveryLedgerStore.Entry> commandSeqs = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT node_id, stream_id, last_seq FROM node_command_seq");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                commandSeqs.put(r.getString(1), new DeliveryLedgerStore.Entry(r.getString(2), r.getLong(3)));
            }
        }
        Map<String, List<Reliable>> commands = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT node_id, frame FROM node_commands ORDER BY node_id, seq");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                commands.computeIfAbsent(r.getString(1), k -> new ArrayList<>())
                        .add((Reliable) Frames.decode(r.getBytes(2)));
            }
        }
        Map<String, HostNames> hostNames = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT node_id, names, addresses FROM node_host_names");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                hostNames.put(r.getString(1), new HostNames(strings(r.getString(2)), strings(r.getString(3))));
            }
        }
        List<RememberedNode> all = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT * FROM nodes ORDER BY node_id");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                NodeRecord n = nodeRecord(r);
                String id = n.id();
                DeliveryLedgerStore.Entry ledger = ledgers.get(id);
                DeliveryLedgerStore.Entry commandSeq = commandSeqs.get(id);
                all.add(new RememberedNode(n, history.getOrDefault(id, List.of()), running.getOrDefault(id, List.of()),
                        ledger != null ? ledger.streamId() : "", ledger != null ? ledger.seq() : 0L,
                        commandSeq != null ? commandSeq.streamId() : "", commandSeq != null ? commandSeq.seq() : 0L,
                        commands.getOrDefault(id, List.of()), hostNames.getOrDefault(id, HostNames.NONE)));
            }
        }
        return all;
    }

    /** Every node's delivery ledger entry. */
    static Map<String, DeliveryLedgerStore.Entry> ledgers(Connection c) throws SQLException {
        Map<String, DeliveryLedgerStore.Entry> out = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT node_id, stream_id, seq FROM delivery_ledger");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.put(r.getString(1), new DeliveryLedgerStore.Entry(r.getString(2), r.getLong(3)));
            }
        }
        return out;
    }

    static String json(List<String> strings) {
        return new JsonArray(new ArrayList<Object>(strings)).encode();
    }

    private static List<String> strings(String json) {
        List<String> out = new ArrayList<>();
        new JsonArray(json).forEach(o -> out.add((String) o));
        return out;
    }

    static NodeRecord nodeRecord(ResultSet r) throws SQLException {
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
}
