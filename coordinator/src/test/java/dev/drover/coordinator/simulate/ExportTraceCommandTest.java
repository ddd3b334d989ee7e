package dev.drover.coordinator.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.queue.QueueJournal;
import dev.drover.coordinator.queue.TaskRun;
import dev.drover.coordinator.store.QueueStore;
import dev.drover.coordinator.store.StateStore;
import dev.drover.protocol.TaskRef;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** export-trace writes what the simulator reads back: the store's successful runs, nothing invented. */
class ExportTraceCommandTest {
    private static final Instant DAY = Instant.parse("2026-11-29T00:00:00Z");

    @TempDir
    Path dir;
    private Path db;
    private final StringWriter err = new StringWriter();
    private final StringWriter out = new StringWriter();

    /**
     * Job 1 at 08:00 (blender, 2 tasks), job 2 at 08:10 (a Tractor key expression, 2 tasks, one failed for good),
     * job 3 the next day.
     */
    @BeforeEach
    void history() {
        db = dir.resolve("coordinator.db");
        try (StateStore store = StateStore.open(db.toString(), "NORMAL")) {
            QueueStore q = new QueueStore(store);
            job(q, 1, "blender", DAY.plus(Duration.ofHours(8)), 2);
            job(q, 2, "prman,Linux", DAY.plus(Duration.ofHours(8)).plusSeconds(600), 2);
            job(q, 3, "blender", DAY.plus(Duration.ofHours(32)), 1);
            Instant t = DAY.plus(Duration.ofHours(8));
            q.runEnded(run(1, 1, t, 90_500, TaskRun.Outcome.REQUEUED)); // evicted first
            q.runEnded(run(1, 1, t.plusSeconds(100), 120_250, TaskRun.Outcome.DONE));
            q.runEnded(run(1, 2, t, 61_000, TaskRun.Outcome.DONE));
            q.runEnded(run(2, 1, t.plusSeconds(600), 3_600_000, TaskRun.Outcome.DONE));
            q.runEnded(run(2, 2, t.plusSeconds(600), 5_000, TaskRun.Outcome.FAILED)); // never succeeded
            q.runEnded(run(3, 1, DAY.plus(Duration.ofHours(32)), 30_000, TaskRun.Outcome.DONE));
        }
    }

    private static void job(QueueStore q, long jid, String key, Instant at, int tasks) {
        List<BuiltInQueue.TaskSpec> specs = new ArrayList<>();
        List<QueueJournal.TaskRecord> records = new ArrayList<>();
        for (int i = 1; i <= tasks; i++) {
            BuiltInQueue.TaskSpec spec = new BuiltInQueue.TaskSpec("frame " + i, List.of("render"), List.of(), "");
            specs.add(spec);
            records.add(new QueueJournal.TaskRecord(new TaskRef(jid, i, i), "shot", key, spec,
                    BuiltInQueue.State.READY, 0, 0, "", List.of(), at));
        }
        q.jobSubmitted(jid, new BuiltInQueue.JobSpec("shot", key, specs), at, records, jid + 1);
    }

    private static TaskRun run(long jid, int tid, Instant start, long millis, TaskRun.Outcome outcome) {
        return new TaskRun(new TaskRef(jid, tid, tid), "node-a", "spot", "x", start, start.plusMillis(millis),
                outcome == TaskRun.Outcome.REQUEUED ? null : outcome == TaskRun.Outcome.DONE ? 0 : 1, outcome, "");
    }

    private int run(String... args) {
        CommandLine cl = new CommandLine(new ExportTraceCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        return cl.execute(args);
    }

    @Test
    void exportsTheWindowAndTheSimulatorReadsItBack() throws Exception {
        Path trace = dir.resolve("day.csv");

        int code = run("--store", db.toString(), "--since", "2026-11-29", "--until", "2026-11-30T00:00:00Z",
                "--out", trace.toString());

        assertThat(code).as(err.toString()).isZero();
        List<String> lines = Files.readAllLines(trace, StandardCharsets.UTF_8);
        assertThat(lines).filteredOn(l -> l.startsWith("#")).anySatisfy(l -> assertThat(l)
                .contains("tasks written: 3; omitted: 1 with no successful run"));
        Trace read = Trace.load(trace);
        assertThat(read.tasks()).extracting(Trace.Task::job, Trace.Task::submitSeconds, Trace.Task::runtimeSeconds,
                Trace.Task::service).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("1", 0.0, 120.25, "blender"),
                        org.assertj.core.groups.Tuple.tuple("1", 0.0, 61.0, "blender"),
                        org.assertj.core.groups.Tuple.tuple("2", 600.0, 3600.0, "prman||linux"));
    }

    @Test
    void withoutAWindowWritesAllHistoryToStandardOutput() {
        assertThat(run("--store", db.toString())).as(err.toString()).isZero();

        Trace read = Trace.parse("stdout", out.toString().lines().toList());
        assertThat(read.tasks()).hasSize(4);
        assertThat(read.tasks().get(3).submitSeconds()).isEqualTo(24 * 3600.0); // job 3, a day after job 1
    }

    @Test
    void anEmptyWindowGivesAHeaderOnlyFile() throws Exception {
        Path trace = dir.resolve("empty.csv");

        int code = run("--store", db.toString(), "--since", "2026-12-01", "--out", trace.toString());

        assertThat(code).as(err.toString()).isZero();
        List<String> lines = Files.readAllLines(trace, StandardCharsets.UTF_8);
        assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l).matches("#.*|job,submit_s,runtime_s,service"))
                .contains("job,submit_s,runtime_s,service");
    }

    @Test
    void badArgumentsExitTwoNamingTheOption() {
        assertThat(run("--since", "2026-11-29")).isEqualTo(2);
        assertThat(err.toString()).contains("--store");

        assertThat(run("--store", db.toString(), "--since", "yesterday")).isEqualTo(2);
        assertThat(err.toString()).contains("--since 'yesterday' is not an ISO-8601 instant");

        assertThat(run("--store", db.toString(), "--since", "2026-11-30", "--until", "2026-11-29")).isEqualTo(2);
        assertThat(err.toString()).contains("--since 2026-11-30 is not before --until 2026-11-29");

        Path missing = dir.resolve("missing.db");
        assertThat(run("--store", missing.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--store: store " + missing + ": no such file");
        assertThat(missing).doesNotExist(); // read-only: nothing created
    }
}
