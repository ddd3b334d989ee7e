package dev.drover.coordinator.store;

import static dev.drover.coordinator.store.FleetStore.prepare;
import static dev.drover.coordinator.store.FleetStore.update;

import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.queue.QueueJournal;
import dev.drover.coordinator.queue.TaskRun;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import io.vertx.core.json.JsonArray;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The built-in queue in the store: jobs, tasks with their attempts and nodes tried, the job id counter, and the
 * runs of the last {@link #RUN_RETENTION} (what export-trace reads).
 */
public final class QueueStore implements QueueJournal {
    private static final String NEXT_JID = "next_jid";
    /**
     * How long an ended run is kept. By age rather than a row cap: a trace replays whole days, and an age keeps
     * every day of the window complete whatever the load (a cap would cut the oldest day at a point that moves
     * with it). About 100 bytes a run: a farm running 100,000 tasks a day keeps some 300 MB.
     */
    public static final Duration RUN_RETENTION = Duration.ofDays(30);
    /** Pruning is one indexed delete; doing it at most hourly keeps it off nearly every task's finish. */
    static final Duration PRUNE_EVERY = Duration.ofHours(1);

    private final StateStore store;
    /** When the runs were last pruned, by the ended runs' own clock (the queue's): tests move it. */
    private final AtomicLong prunedAt = new AtomicLong(Long.MIN_VALUE);

    public QueueStore(StateStore store) {
        this.store = store;
    }

    @Override
    public void atomically(Runnable body) {
        store.batch(body);
    }

    @Override
    public void jobSubmitted(long jid, BuiltInQueue.JobSpec job, Instant at, List<TaskRecord> tasks, long nextJid) {
        store.write(c -> {
            update(c, "INSERT INTO jobs (jid, title, service_key, submitted_at) VALUES (?, ?, ?, ?)", jid, job.title(),
                    tasks.isEmpty() ? job.serviceKey() : tasks.get(0).serviceKey(), at.toEpochMilli());
            try (PreparedStatement p = c.prepareStatement(UPSERT_TASK)) {
                for (TaskRecord t : tasks) {
                    bind(p, t);
                    p.addBatch();
                }
                p.executeBatch();
            }
            update(c, "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
                    + "value = max(value, excluded.value)", NEXT_JID, nextJid);
        });
    }

    private static final String UPSERT_TASK = """
            INSERT INTO tasks (jid, tid, cid, title, argv, env, working_dir, state, attempts, requeues, node,
                nodes_tried, since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (jid, tid, cid) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
                requeues = excluded.requeues, node = excluded.node, nodes_tried = excluded.nodes_tried,
                since = excluded.since""";

    private static void bind(PreparedStatement p, TaskRecord t) throws SQLException {
        p.setLong(1, t.ref().jid());
        p.setInt(2, t.ref().tid());
        p.setInt(3, t.ref().cid());
        p.setString(4, t.spec().title());
        p.setString(5, new JsonArray(new ArrayList<>(t.spec().argv())).encode());
        p.setString(6, new JsonArray(new ArrayList<>(t.spec().env())).encode());
        p.setString(7, t.spec().workingDir());
        p.setString(8, t.state().name());
        p.setInt(9, t.attempts());
        p.setInt(10, t.requeues());
        p.setString(11, t.node());
        p.setString(12, new JsonArray(new ArrayList<>(t.nodesTried())).encode());
        p.setLong(13, t.since().toEpochMilli());
    }

    @Override
    public void task(TaskRecord task) {
        store.write(c -> {
            try (PreparedStatement p = c.prepareStatement(UPSERT_TASK)) {
                bind(p, task);
                p.executeUpdate();
            }
        });
    }

    @Override
    public void runEnded(TaskRun run) {
        long now = run.finishedAt().toEpochMilli();
        long last = prunedAt.get();
        boolean prune = (last == Long.MIN_VALUE || now - last >= PRUNE_EVERY.toMillis())
                && prunedAt.compareAndSet(last, now);
        store.write(c -> {
            update(c, """
                    INSERT INTO task_runs (jid, tid, cid, node, pool, service_key, started_at, finished_at, exit_code,
                        outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", run.ref().jid(), run.ref().tid(),
                    run.ref().cid(), run.node(), run.pool(), run.serviceKey(), run.startedAt().toEpochMilli(), now,
                    run.exitCode(), run.outcome().name(), run.detail());
            if (prune) {
                update(c, "DELETE FROM task_runs WHERE finished_at < ?", now - RUN_RETENTION.toMillis());
            }
        });
    }

    @Override
    public void finishApplied(String nodeId, TaskRef t) {
        store.write(c -> update(c, "DELETE FROM finished_reports WHERE node_id = ? AND jid = ? AND tid = ? AND cid = ?",
                nodeId, t.jid(), t.tid(), t.cid()));
    }

    /** The queue as it was: tasks in submission order, the next job id, and finishes not yet applied. */
    public Remembered load() {
        return store.read(c -> new Remembered(nextJid(c), tasks(c), finishes(c)));
    }

    private static long nextJid(Connection c) throws SQLException {
        try (PreparedStatement p = prepare(c, "SELECT value FROM counters WHERE name = ?", NEXT_JID);
                ResultSet r = p.executeQuery()) {
            return r.next() ? r.getLong(1) : 1;
        }
    }

    private static List<TaskRecord> tasks(Connection c) throws SQLException {
        List<TaskRecord> list = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("""
                SELECT t.*, j.title AS job_title, j.service_key FROM tasks t JOIN jobs j ON j.jid = t.jid
                ORDER BY t.jid, t.tid, t.cid"""); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                BuiltInQueue.TaskSpec spec = new BuiltInQueue.TaskSpec(r.getString("title"), strings(r, "argv"),
                        strings(r, "env"), r.getString("working_dir"));
                list.add(new TaskRecord(new TaskRef(r.getLong("jid"), r.getInt("tid"), r.getInt("cid")),
                        r.getString("job_title"), r.getString("service_key"), spec,
                        BuiltInQueue.State.valueOf(r.getString("state")), r.getInt("attempts"), r.getInt("requeues"),
                        r.getString("node"), strings(r, "nodes_tried"), Instant.ofEpochMilli(r.getLong("since"))));
            }
        }
        return list;
    }

    private static List<String> strings(ResultSet r, String column) throws SQLException {
        JsonArray a = new JsonArray(r.getString(column));
        List<String> list = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            list.add(a.getString(i));
        }
        return list;
    }

    private static List<PendingFinish> finishes(Connection c) throws SQLException {
        List<PendingFinish> list = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT * FROM finished_reports ORDER BY finished_at");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                list.add(new PendingFinish(r.getString("node_id"), r.getString("pool"), new TaskFinished(1, // seq: long acked
                        new TaskRef(r.getLong("jid"), r.getInt("tid"), r.getInt("cid")), r.getInt("exit_code"),
                        r.getInt("signal"), r.getLong("runtime_millis"), r.getLong("peak_rss_bytes"),
                        r.getLong("finished_at"))));
            }
        }
        return list;
    }
}
