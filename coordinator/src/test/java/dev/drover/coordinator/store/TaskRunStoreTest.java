package dev.drover.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.queue.TaskRun;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskRef;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runs the built-in queue ends are kept in the store, read back by RunHistory, and pruned by age. */
class TaskRunStoreTest {
    @TempDir
    Path dir;

    private final TestFleet fleet = new TestFleet();
    private final PoolSpec spot = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);

    private record Row(TaskRef ref, String node, String pool, long startedAt, long finishedAt, Integer exit,
            String outcome) {
    }

    private static List<Row> runs(StateStore store) {
        return store.read(c -> {
            List<Row> rows = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT * FROM task_runs ORDER BY"
                    + " finished_at, rowid")) {
                while (r.next()) {
                    Integer exit = r.getObject("exit_code") == null ? null : r.getInt("exit_code");
                    rows.add(new Row(new TaskRef(r.getLong("jid"), r.getInt("tid"), r.getInt("cid")),
                            r.getString("node"), r.getString("pool"), r.getLong("started_at"), r.getLong("finished_at"),
                            exit, r.getString("outcome")));
                }
            }
            return rows;
        });
    }

    @Test
    void keepsEachEndedRunWithItsNodeTimesAndOutcome() {
        Path file = dir.resolve("coordinator.db");
        try (StateStore store = StateStore.open(file.toString(), "NORMAL")) {
            // given a queue journaling into a real store, on a clock the test moves
            BuiltInQueue queue = new BuiltInQueue(fleet.registry, List.of(spot), new Timeline(fleet.clock,
                    new SimpleMeterRegistry()), fleet.clock);
            queue.setJournal(new QueueStore(store));
            fleet.registry.addListener(queue);
            Instant t0 = fleet.clock.instant();
            TestFleet.Link a = fleet.enrol("a", "spot", 1);
            queue.submit(new BuiltInQueue.JobSpec("shot", "Blender", List.of(
                    new BuiltInQueue.TaskSpec("frame 1", List.of("render", "1"), List.of(), ""),
                    new BuiltInQueue.TaskSpec("frame 2", List.of("render", "2"), List.of(), ""))));
            TaskRef one = a.sent(RunTask.class).get(0).task();

            // when frame 1 fails after 60 s, then succeeds after 90 s, and frame 2 is evicted after 30 s
            fleet.clock.advance(Duration.ofSeconds(60));
            fleet.finished("a", one, 3);
            fleet.clock.advance(Duration.ofSeconds(90));
            fleet.finished("a", one, 0);
            TaskRef two = a.sent(RunTask.class).get(2).task();
            fleet.clock.advance(Duration.ofSeconds(30));
            fleet.reliable("a", new EvictionNotice(fleet.nextSeq(), "ev-1", EvictionType.PREEMPT,
                    fleet.clock.millis() + 30_000, "", fleet.clock.millis()));

            // then the store has the three runs, with the queue's clock times
            long ms = t0.toEpochMilli();
            assertThat(runs(store)).containsExactly(
                    new Row(one, "a", "spot", ms, ms + 60_000, 3, "FAILED"),
                    new Row(one, "a", "spot", ms + 60_000, ms + 150_000, 0, "DONE"),
                    new Row(two, "a", "spot", ms + 150_000, ms + 180_000, null, "REQUEUED"));
            // when the evicted node's report says frame 2 had in fact finished (its run took 1 s by the agent)
            fleet.clock.advance(Duration.ofSeconds(5));
            fleet.finished("a", two, 0);
            // then that success is kept as a run, with the task's Done state, so a restart does not replay it
            assertThat(runs(store)).last().isEqualTo(new Row(two, "a", "spot", ms + 184_000, ms + 185_000, 0, "DONE"));
            assertThat(new QueueStore(store).load().tasks()).filteredOn(t -> t.ref().equals(two)).singleElement()
                    .satisfies(t -> assertThat(t.state()).isEqualTo(BuiltInQueue.State.DONE));
            // and a read-only reader beside the open store sees each task's successful run
            assertThat(RunHistory.tasks(file, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE)))
                    .extracting(RunHistory.TaskLine::tid, RunHistory.TaskLine::serviceKey,
                            RunHistory.TaskLine::runtimeMillis)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "blender", 90_000L),
                            org.assertj.core.groups.Tuple.tuple(2, "blender", 1_000L));
            // and the store still takes writes
            fleet.clock.advance(Duration.ofSeconds(1));
            queue.submit(new BuiltInQueue.JobSpec("next", "blender", List.of(
                    new BuiltInQueue.TaskSpec("frame 1", List.of("render"), List.of(), ""))));
        }
    }

    @Test
    void prunesRunsOlderThanTheRetentionAtMostHourly() {
        try (StateStore store = StateStore.open(dir.resolve("c.db").toString(), "NORMAL")) {
            QueueStore queue = new QueueStore(store);
            Instant t0 = Instant.parse("2026-10-01T00:00:00Z");
            Instant expiry = t0.plus(QueueStore.RUN_RETENTION);
            queue.runEnded(run(1, t0)); // the first run prunes (nothing yet)
            queue.runEnded(run(2, t0.plus(Duration.ofMinutes(30))));

            // when runs end just after the retention: the first prunes what ended before its cut-off
            queue.runEnded(run(3, expiry.plus(Duration.ofMinutes(10))));
            assertThat(runs(store)).extracting(r -> r.ref().tid()).containsExactly(2, 3);
            // within the hour no prune runs, though run 2 is now past the retention
            queue.runEnded(run(4, expiry.plus(Duration.ofMinutes(40))));
            assertThat(runs(store)).extracting(r -> r.ref().tid()).containsExactly(2, 3, 4);
            // an hour after the last prune, it goes
            queue.runEnded(run(5, expiry.plus(Duration.ofMinutes(10)).plus(QueueStore.PRUNE_EVERY)));
            assertThat(runs(store)).extracting(r -> r.ref().tid()).containsExactly(3, 4, 5);
        }
    }

    private static TaskRun run(int tid, Instant end) {
        return new TaskRun(new TaskRef(1, tid, tid), "a", "spot", "blender", end.minusSeconds(60), end, 0,
                TaskRun.Outcome.DONE, "task now DONE");
    }

    @Test
    void readerRefusesAMissingFileAndAStoreWithoutRuns() throws Exception {
        Path missing = dir.resolve("nope.db");
        assertThatThrownBy(() -> RunHistory.tasks(missing, Instant.EPOCH, Instant.now()))
                .isInstanceOf(StoreException.class).hasMessageContaining(missing.toString())
                .hasMessageContaining("no such file");

        Path old = dir.resolve("v3.db");
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + old); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                    + "applied_at INTEGER NOT NULL)");
            s.execute("INSERT INTO schema_migrations VALUES (3, 'V3__node_host_names.sql', 0)");
        }
        assertThatThrownBy(() -> RunHistory.tasks(old, Instant.EPOCH, Instant.now()))
                .isInstanceOf(StoreException.class).hasMessageContaining("schema version 3")
                .hasMessageContaining(old.toString());
    }
}
