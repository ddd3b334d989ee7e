package dev.drover.coordinator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.NodeJournal;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.Transition;
import dev.drover.coordinator.store.FleetStore;
import dev.drover.coordinator.store.StateStore;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What keeping one reliable agent event costs on the thread that acknowledges it: the event's effect (a task
 * finish with its report for the queue, and a state change) and the delivery ledger, committed as one SQLite
 * transaction in WAL mode, with synchronous NORMAL (the default) and FULL, and on an in-memory database
 * as the in-run baseline (what the SQL and a loaded machine cost without the disk). Microseconds per commit, after a
 * warm-up, over 1,000 nodes. Results: target/bench/store-commit.json. Run:
 * {@code ./mvnw -B -pl coordinator -am verify -DskipUTs -Dit.test='StoreCommitBench' -Dfailsafe.failIfNoSpecifiedTests=false}
 */
class StoreCommitBench {
    static final int NODES = 1000;
    static final int COMMITS = 5000;

    @TempDir
    Path dir;

    @Test
    void reliableEventCommit() throws Exception {
        JsonObject result = new JsonObject();
        for (String sync : List.of("MEMORY", "NORMAL", "FULL")) {
            // MEMORY: the same SQL on an in-memory database, the in-run baseline for what the disk adds
            String path = sync.equals("MEMORY") ? ":memory:" : dir.resolve(sync + ".db").toString();
            try (StateStore store = StateStore.open(path, sync.equals("MEMORY") ? "NORMAL" : sync)) {
                FleetStore fleet = new FleetStore(store, true);
                Instant t0 = Instant.parse("2026-11-29T00:00:00Z");
                for (int n = 0; n < NODES; n++) {
                    String id = "node-" + n;
                    fleet.node(new NodeJournal.NodeRecord(id, 1, NodeIdentity.local(id, "spot"), "0.1", 1, 2, 0,
                            NodeState.READY, "enrolled", t0, t0, null));
                }
                List<Long> micros = new ArrayList<>();
                for (int i = 0; i < COMMITS + 500; i++) {
                    String id = "node-" + (i % NODES);
                    long seq = i + 1;
                    NodeJournal.NodeRecord r = new NodeJournal.NodeRecord(id, 2 + i, NodeIdentity.local(id, "spot"),
                            "0.1", 1, 2, 0, i % 2 == 0 ? NodeState.BUSY : NodeState.READY, "bench", t0, t0, null);
                    long start = System.nanoTime();
                    fleet.atomically(() -> {
                        fleet.taskFinished(id, "spot", new TaskFinished(seq, new TaskRef(1, (int) seq, 1), 0, 0, 10,
                                -1, seq));
                        fleet.node(r);
                        fleet.transition(id, new Transition(NodeState.BUSY, NodeState.READY, "bench", t0));
                        fleet.ledger(id, "s-" + id, seq);
                    });
                    long took = (System.nanoTime() - start) / 1000;
                    if (i >= 500) {
                        micros.add(took);
                    }
                }
                JsonObject stats = BenchStats.stats(micros);
                stats.remove("all");
                result.put(sync, stats.put("unit", "microseconds per commit"));
                assertThat(micros).hasSize(COMMITS);
            }
        }
        Path out = Path.of("target", "bench", "store-commit.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, result.encodePrettily());
        System.out.println("store commit: " + result.encode());
    }
}
