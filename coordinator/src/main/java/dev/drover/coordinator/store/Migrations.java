package dev.drover.coordinator.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schema changes: numbered SQL resources under {@code db/migration}, applied in order, each in its own
 * transaction together with its row in {@code schema_migrations}. A database written by a newer coordinator is
 * refused rather than guessed at.
 */
final class Migrations {
    private static final Logger LOGGER = LoggerFactory.getLogger(Migrations.class);
    /** Every migration, in order; a new one is appended here with the next number, never edited once shipped. */
    static final List<String> ALL = List.of("V1__coordinator_state.sql", "V2__node_credentials.sql",
            "V3__node_host_names.sql", "V4__task_runs.sql");

    private Migrations() {
    }

    /** Brings the schema up to date; returns the version it is at. */
    static int apply(Connection c, String where) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                    + "applied_at INTEGER NOT NULL)");
        }
        int current = current(c);
        if (current > ALL.size()) {
            throw new StoreException(where + ": schema version " + current + " was written by a newer coordinator "
                    + "(this one knows up to " + ALL.size() + "); refusing to use it");
        }
        for (int v = current + 1; v <= ALL.size(); v++) {
            String name = ALL.get(v - 1);
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (String sql : statements(read(name))) {
                    s.execute(sql);
                }
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")) {
                    p.setInt(1, v);
                    p.setString(2, name);
                    p.setLong(3, System.currentTimeMillis());
                    p.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
            LOGGER.atInfo().addKeyValue("store", where).addKeyValue("version", v).addKeyValue("migration", name)
                    .log("state store schema migrated");
        }
        return ALL.size();
    }

    static int current(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_migrations")) {
            return r.next() ? r.getInt(1) : 0;
        }
    }

    private static String read(String name) {
        try (InputStream in = Migrations.class.getResourceAsStream("/db/migration/" + name)) {
            if (in == null) {
                throw new StoreException("migration " + name + " is missing from the coordinator jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StoreException("cannot read migration " + name + ": " + e.getMessage(), e);
        }
    }

    /** Splits a script into statements: comments dropped, then cut at each ';' that ends a line. */
    static List<String> statements(String script) {
        StringBuilder text = new StringBuilder();
        for (String line : script.split("\n")) {
            int comment = line.indexOf("--");
            text.append(comment >= 0 ? line.substring(0, comment) : line).append('\n');
        }
        List<String> out = new ArrayList<>();
        for (String sql : text.toString().split(";\\s*\n")) {
            if (!sql.isBlank()) {
                out.add(sql.trim());
            }
        }
        return out;
    }
}
