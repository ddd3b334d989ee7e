package dev.drover.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @TempDir
    Path dir;

    private static long count(StateStore store, String table) {
        return store.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT count(*) FROM " + table);
                    ResultSet r = p.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        });
    }

    @Test
    void migratesAnEmptyDatabaseAndReopensWithoutMigratingAgain() {
        Path file = dir.resolve("state/coordinator.db"); // the directory does not exist yet
        try (StateStore store = StateStore.open(file.toString(), "NORMAL")) {
            assertThat(store.schemaVersion()).isEqualTo(Migrations.ALL.size());
            assertThat(count(store, "schema_migrations")).isEqualTo(Migrations.ALL.size());
            store.write(c -> FleetStore.update(c, "INSERT INTO counters (name, value) VALUES ('x', 7)"));
        }
        assertThat(file).exists();
        try (StateStore again = StateStore.open(file.toString(), "FULL")) {
            assertThat(count(again, "schema_migrations")).isEqualTo(Migrations.ALL.size());
            assertThat(count(again, "counters")).isEqualTo(1);
            String mode = again.read(c -> {
                try (ResultSet r = c.createStatement().executeQuery("PRAGMA journal_mode")) {
                    r.next();
                    return r.getString(1);
                }
            });
            assertThat(mode).isEqualToIgnoringCase("wal");
        }
    }

    @Test
    void refusesADatabaseWrittenByANewerCoordinator() {
        Path file = dir.resolve("newer.db");
        try (StateStore store = StateStore.open(file.toString(), "NORMAL")) {
            store.write(c -> FleetStore.update(c, "INSERT INTO schema_migrations VALUES (99, 'V99__future.sql', 0)"));
        }
        assertThatThrownBy(() -> StateStore.open(file.toString(), "NORMAL")).isInstanceOf(StoreException.class)
                .hasMessageContaining("store.path " + file).hasMessageContaining("newer coordinator");
    }

    @Test
    void unusablePathIsNamedWithTheField() throws Exception {
        Path directory = Files.createDirectories(dir.resolve("a-directory"));
        assertThatThrownBy(() -> StateStore.open(directory.toString(), "NORMAL")).isInstanceOf(StoreException.class)
                .hasMessageStartingWith("store.path " + directory).hasMessageContaining("directory");

        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        assertThatThrownBy(() -> StateStore.open(file.resolve("sub/coordinator.db").toString(), "NORMAL"))
                .isInstanceOf(StoreException.class).hasMessageStartingWith("store.path " + file.resolve("sub"));

        Path garbage = Files.writeString(dir.resolve("garbage.db"), "this is not an SQLite database at all, no");
        assertThatThrownBy(() -> StateStore.open(garbage.toString(), "NORMAL")).isInstanceOf(StoreException.class)
                .hasMessageStartingWith("store.path " + garbage);
    }

    @Test
    void aFailedBatchLeavesNothingHalfWritten() {
        try (StateStore store = StateStore.open(dir.resolve("tx.db").toString(), "NORMAL")) {
            assertThatThrownBy(() -> store.batch(() -> {
                store.write(c -> FleetStore.update(c, "INSERT INTO counters (name, value) VALUES ('a', 1)"));
                store.write(c -> FleetStore.update(c, "INSERT INTO counters (name, value) VALUES ('b', 2)"));
                store.write(c -> {
                    throw new SQLException("disk on fire");
                });
            })).isInstanceOf(StoreException.class).hasMessageContaining("disk on fire")
                    .hasMessageContaining("nothing of it was kept");
            assertThat(count(store, "counters")).isZero();

            // a batch whose body throws commits nothing either
            assertThatThrownBy(() -> store.batch(() -> {
                store.write(c -> FleetStore.update(c, "INSERT INTO counters (name, value) VALUES ('c', 3)"));
                throw new IllegalStateException("changed my mind");
            })).isInstanceOf(IllegalStateException.class);
            assertThat(count(store, "counters")).isZero();

            // and the store is still usable
            store.batch(() -> {
                store.write(c -> FleetStore.update(c, "INSERT INTO counters (name, value) VALUES ('d', 4)"));
                store.batch(() -> store.write(c -> FleetStore.update(c,
                        "INSERT INTO counters (name, value) VALUES ('e', 5)"))); // joins the outer batch
            });
            assertThat(count(store, "counters")).isEqualTo(2);
        }
    }

    @Test
    void splitsMigrationScriptsIntoStatements() {
        assertThat(Migrations.statements("-- a comment; with a semicolon\nCREATE TABLE a (x INTEGER);\n\n"
                + "CREATE TABLE b (y TEXT) STRICT; -- trailing\n")).containsExactly("CREATE TABLE a (x INTEGER)",
                "CREATE TABLE b (y TEXT) STRICT");
    }

    @Test
    void deferredWritesAreKeptInOrderByCloseAndABadOneLosesOnlyItself() {
        Path file = dir.resolve("later.db");
        try (StateStore store = StateStore.open(file.toString(), "NORMAL")) {
            for (int i = 0; i < 1000; i++) {
                int value = i;
                // two writes captured together, then kept off this thread; the last value for 'x' must win
                store.batchLater(() -> {
                    store.write(c -> FleetStore.update(c, "INSERT OR REPLACE INTO counters (name, value) VALUES ('x', ?)",
                            value));
                    store.write(c -> FleetStore.update(c, "INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)",
                            "n" + value, value));
                });
                if (i == 500) {
                    store.writeLater(c -> FleetStore.update(c, "INSERT INTO no_such_table VALUES (1)"));
                }
            }
            assertThatThrownBy(() -> store.batchLater(() -> store.afterCommit(() -> { })))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> store.batchLater(() -> store.batch(() -> { })))
                    .as("a durable batch cannot hide inside a deferred one").isInstanceOf(IllegalStateException.class);
        }
        try (StateStore again = StateStore.open(file.toString(), "NORMAL")) {
            assertThat(count(again, "counters")).isEqualTo(1001);
            long x = again.read(c -> {
                try (ResultSet r = c.createStatement().executeQuery("SELECT value FROM counters WHERE name = 'x'")) {
                    r.next();
                    return r.getLong(1);
                }
            });
            assertThat(x).isEqualTo(999);
        }
    }

    @Test
    void insideABatchDeferredWritesJoinItAndAreDurableWithIt() {
        try (StateStore store = StateStore.open(dir.resolve("joined.db").toString(), "NORMAL")) {
            store.batch(() -> store.batchLater(() -> store.write(c -> FleetStore.update(c,
                    "INSERT INTO counters (name, value) VALUES ('joined', 1)"))));

            assertThat(count(store, "counters")).isEqualTo(1); // no waiting: kept when the batch returned
        }
    }
}
