package dev.drover.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.NodeJournal.NodeRecord;
import dev.drover.coordinator.fleet.NodeJournal.RememberedNode;
import dev.drover.coordinator.fleet.LivenessSettings;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TaskView;
import dev.drover.coordinator.fleet.Transition;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskRef;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long a restarted coordinator takes to read its remembered fleet: {@link FleetStore#loadNodes} (one query per
 * table) against the per-node queries it replaced (six per node, kept here only as the in-run baseline), on the
 * same database file, alternating, for 1,000 and 10,000 nodes, each with 8 transitions, a running task, a ledger
 * entry, a pending command and host names. Also checks that both read the same fleet. Results:
 * target/bench/restore.json. Run:
 * {@code ./mvnw -B -pl coordinator -am verify -DskipUTs -Dit.test='RestoreBench' -Dfailsafe.failIfNoSpecifiedTests=false}
 * (sizes with {@code -Dbench.sizes=1000,10000}).
 */
class RestoreBench {
    private static final int ROUNDS = 5;
    private static final LivenessSettings LIVENESS = new LivenessSettings(Duration.ofSeconds(5), 20, 3,
            Duration.ofMinutes(10));

    @TempDir
    Path dir;

    @Test
    void restoreReadsTheFleetInAFewQueries() throws Exception {
        JsonObject result = new JsonObject();
        for (String size : System.getProperty("bench.sizes", "1000,10000").split(",")) {
            int nodes = Integer.parseInt(size.trim());
            try (StateStore store = StateStore.open(dir.resolve("restore-" + nodes + ".db").toString(), "NORMAL")) {
                FleetStore fleet = new FleetStore(store, true);
                fill(fleet, nodes);
                List<Long> batched = new ArrayList<>();
                List<Long> perNode = new ArrayList<>();
                List<Long> registry = new ArrayList<>();
                List<RememberedNode> now = null;
                List<RememberedNode> before = null;
                for (int round = 0; round < ROUNDS + 1; round++) { // round 0 warms up
                    long t0 = System.nanoTime();
                    before = store.read(PerNodeQueries::load);
                    long t1 = System.nanoTime();
                    now = fleet.loadNodes();
                    long t2 = System.nanoTime();
                    new NodeRegistry(Clock.systemUTC(), LIVENESS, 100, Runnable::run).restore(now);
                    long t3 = System.nanoTime();
                    if (round > 0) {
                        perNode.add((t1 - t0) / 1_000_000);
                        batched.add((t2 - t1) / 1_000_000);
                        registry.add((t3 - t2) / 1_000_000);
                    }
                }
                assertThat(now).hasSize(nodes);
                assertThat(now).allSatisfy(n -> assertThat(n.hostNames().names()).hasSize(1));
                assertThat(now.stream().map(RestoreBench::withoutHostNames).toList()).isEqualTo(before);
                JsonObject b = stats(batched);
                JsonObject p = stats(perNode);
                result.put(size.trim(), new JsonObject().put("batched", b).put("perNode", p)
                        .put("registryRestore", stats(registry)).put("loadAverage", loadAverage())
                        .put("unit", "milliseconds per restore read").put("rounds", ROUNDS));
                System.out.println("restore " + nodes + " nodes: batched " + b.encode() + " per-node " + p.encode());
            }
        }
        Path out = Path.of("target", "bench", "restore.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, result.encodePrettily());
        System.out.println("restore: " + result.encode());
    }

    private static String loadAverage() throws java.io.IOException {
        return String.join(" ", List.of(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
    }

    private static JsonObject stats(List<Long> millis) {
        List<Long> sorted = millis.stream().sorted().toList();
        return new JsonObject().put("min", sorted.get(0)).put("median", sorted.get(sorted.size() / 2))
                .put("max", sorted.get(sorted.size() - 1));
    }

    private static RememberedNode withoutHostNames(RememberedNode n) {
        return new RememberedNode(n.node(), n.history(), n.running(), n.streamId(), n.receivedSeq(),
                n.commandStreamId(), n.commandSeq(), n.pendingCommands(), HostNames.NONE);
    }

    private static void fill(FleetStore fleet, int nodes) {
        Instant t0 = Instant.parse("2026-11-29T00:00:00Z");
        fleet.atomically(() -> {
            for (int n = 0; n < nodes; n++) {
                String id = "node-" + n;
                fleet.node(new NodeRecord(id, 1, NodeIdentity.local(id, "spot"), "0.1", 1, 2, 0, NodeState.BUSY,
                        "bench", t0, t0, null));
                for (int t = 0; t < 8; t++) {
                    fleet.transition(id, new Transition(NodeState.READY, NodeState.BUSY, "bench " + t,
                            t0.plusSeconds(t)));
                }
                fleet.taskStarted(id, new TaskRef(n + 1L, 1, 1), t0);
                fleet.ledger(id, "s-" + id, 7);
                fleet.commandQueued(id, "c-" + id, new CancelTask(3, new TaskRef(n + 1L, 1, 1), "bench"), 0);
                fleet.hostNames(id, new HostNames(List.of(id + ".farm"), List.of("10.0." + (n / 250) + "." + n % 250)));
            }
        });
    }

    /** The restore as it was before batching (commit 97365ea): six queries per node. The baseline only. */
    private static final class PerNodeQueries {
        static List<RememberedNode> load(Connection c) throws SQLException {
            List<RememberedNode> all = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM nodes ORDER BY node_id");
                    ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    NodeRecord n = RememberedNodes.nodeRecord(r);
                    String id = n.id();
                    List<Transition> history = new ArrayList<>();
                    try (PreparedStatement q = FleetStore.prepare(c, "SELECT at, from_state, to_state, reason FROM "
                            + "node_transitions WHERE node_id = ? ORDER BY rowid", id); ResultSet s = q.executeQuery()) {
                        while (s.next()) {
                            history.add(new Transition(NodeState.valueOf(s.getString(2)),
                                    NodeState.valueOf(s.getString(3)), s.getString(4), Instant.ofEpochMilli(s.getLong(1))));
                        }
                    }
                    List<TaskView> running = new ArrayList<>();
                    try (PreparedStatement q = FleetStore.prepare(c, "SELECT jid, tid, cid, started_at FROM node_tasks "
                            + "WHERE node_id = ? ORDER BY started_at", id); ResultSet s = q.executeQuery()) {
                        while (s.next()) {
                            running.add(new TaskView(new TaskRef(s.getLong(1), s.getInt(2), s.getInt(3)), true, 0, -1,
                                    -1, Instant.ofEpochMilli(s.getLong(4)), null, null, null, 0, 0, -1));
                        }
                    }
                    String stream = "";
                    long seq = 0;
                    try (PreparedStatement q = FleetStore.prepare(c, "SELECT stream_id, seq FROM delivery_ledger "
                            + "WHERE node_id = ?", id); ResultSet s = q.executeQuery()) {
                        if (s.next()) {
                            stream = s.getString(1);
                            seq = s.getLong(2);
                        }
                    }
                    String commandStream = "";
                    try (PreparedStatement q = FleetStore.prepare(c, "SELECT stream_id FROM node_command_seq WHERE "
                            + "node_id = ?", id); ResultSet s = q.executeQuery()) {
                        commandStream = s.next() ? s.getString(1) : "";
                    }
                    long commandSeq;
                    try (PreparedStatement q = FleetStore.prepare(c, "SELECT last_seq FROM node_command_seq WHERE "
                            + "node_id = ?", id); ResultSet s = q.executeQuery()) {
                        commandSeq = s.next() ? s.getLong(1) : 0;
                    }
                    List<Reliable> commands = new ArrayList<>();
                    try (PreparedStatement q = FleetStore.prepare(c, "SELECT frame FROM node_commands WHERE node_id = ? "
                            + "ORDER BY seq", id); ResultSet s = q.executeQuery()) {
                        while (s.next()) {
                            commands.add((Reliable) Frames.decode(s.getBytes(1)));
                        }
                    }
                    all.add(new RememberedNode(n, history, running, stream, seq, commandStream, commandSeq, commands,
                            HostNames.NONE));
                }
            }
            return all;
        }
    }
}
