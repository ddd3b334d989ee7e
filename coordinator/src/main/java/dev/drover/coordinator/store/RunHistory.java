package dev.drover.coordinator.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * The built-in queue's history read from a coordinator's store file, opened read-only: safe beside a running
 * coordinator (a WAL reader never blocks its writer), and never migrates or changes the file.
 */
public final class RunHistory {
    /** The first schema with task runs (V4__task_runs.sql). */
    static final int RUNS_SINCE_SCHEMA = 4;

    /**
     * One task of a job submitted in the window, with its last successful run's duration.
     *
     * @param runtimeMillis null when the history has no successful run of it (failed, not finished yet, or pruned)
     */
    public record TaskLine(long jid, int tid, int cid, String serviceKey, Instant submittedAt, Long runtimeMillis) {
    }

    private RunHistory() {
    }

    /**
     * The tasks of the jobs submitted in [since, until), in submission order.
     *
     * @throws StoreException naming the file when it is missing, not a store, or older than the task-run schema
     */
    public static List<TaskLine> tasks(Path store, Instant since, Instant until) {
        String where = "store " + store;
        if (!Files.isRegularFile(store)) {
            throw new StoreException(where + ": no such file");
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(5000);
        try (Connection c = config.createConnection("jdbc:sqlite:" + store)) {
            int version = schemaVersion(c);
            if (version < RUNS_SINCE_SCHEMA) {
                throw new StoreException(where + ": schema version " + version + " keeps no task runs (they start"
                        + " at version " + RUNS_SINCE_SCHEMA + "); run this coordinator version on it first");
            }
            return read(c, since, until);
        } catch (SQLException e) {
            throw new StoreException(where + ": cannot read it as a coordinator store: " + e.getMessage(), e);
        }
    }

    private static int schemaVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_migrations")) {
            return r.next() ? r.getInt(1) : 0;
        }
    }

    private static List<TaskLine> read(Connection c, Instant since, Instant until) throws SQLException {
        List<TaskLine> lines = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("""
                SELECT j.jid, t.tid, t.cid, j.service_key, j.submitted_at,
                    (SELECT r.finished_at - r.started_at FROM task_runs r
                     WHERE r.jid = t.jid AND r.tid = t.tid AND r.cid = t.cid AND r.outcome = 'DONE'
                     ORDER BY r.finished_at DESC LIMIT 1) AS runtime
                FROM jobs j JOIN tasks t ON t.jid = j.jid
                WHERE j.submitted_at >= ? AND j.submitted_at < ?
                ORDER BY j.submitted_at, j.jid, t.tid, t.cid""")) {
            p.setLong(1, since.toEpochMilli());
            p.setLong(2, until.toEpochMilli());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    long runtime = r.getLong("runtime");
                    Long successful = r.wasNull() ? null : runtime; // asked at once: wasNull is about the last get
                    lines.add(new TaskLine(r.getLong("jid"), r.getInt("tid"), r.getInt("cid"),
                            r.getString("service_key"), Instant.ofEpochMilli(r.getLong("submitted_at")),
                            successful));
                }
            }
        }
        return lines;
    }
}
