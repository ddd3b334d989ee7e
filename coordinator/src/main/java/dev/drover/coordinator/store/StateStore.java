package dev.drover.coordinator.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one home of coordinator state that must survive a restart: an embedded SQLite database on local disk in
 * WAL mode, with versioned migrations ({@link Migrations}). One connection, one writer at a time.
 *
 * <p>Writes are committed before the caller goes on, so anything said to an agent or a scale set afterwards
 * (an Ack, a RunTask, a delete) is backed by state on disk. {@link #batch} gathers one thread's writes and
 * commits them as one transaction at its end; the database lock is taken only for that commit, never while the
 * caller holds its own locks in the batch body, so the store is always the innermost lock. With
 * {@code synchronous=NORMAL} a WAL commit is a write to the page cache with no fsync: it survives the
 * coordinator process being killed (not a power loss of the head node, for that set FULL) and costs tens of
 * microseconds (see StateStoreTest), short enough to run on an event loop.
 */
public final class StateStore implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(StateStore.class);

    /** One write: SQL against the store's connection, inside a transaction the store manages. */
    @FunctionalInterface
    public interface SqlOp {
        void apply(Connection c) throws SQLException;
    }

    /** One read. */
    @FunctionalInterface
    public interface SqlRead<T> {
        T apply(Connection c) throws SQLException;
    }

    private final String where;
    private final Connection connection;
    /**
     * Fair: the background writer commits many chunks in a row, and an event loop's write (a Hello, an event
     * before its Ack) waiting for the lock goes next, not after the whole backlog.
     */
    private final ReentrantLock lock = new ReentrantLock(true);
    /** Set while {@link #batchLater} collects writes on this thread: nothing in there may be durable or waited for. */
    private final ThreadLocal<Boolean> collectingLater = new ThreadLocal<>();
    private final ThreadLocal<List<SqlOp>> batch = new ThreadLocal<>();
    private final ThreadLocal<List<Runnable>> afterCommit = new ThreadLocal<>();
    private final java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
    private final int schemaVersion;
    private java.util.concurrent.ScheduledExecutorService checkpointer;
    /** Writes nobody waits for (a decision's history), kept in order off the caller's thread. */
    private final java.util.concurrent.ExecutorService later = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> {
                Thread t = new Thread(r, "store-writer");
                t.setDaemon(true);
                return t;
            });
    private Connection checkpointConnection;
    /** Bounds how long a background commit holds the lock an event loop's write may be waiting for. */
    private static final int MAX_DEFERRED_PER_COMMIT = 256;
    private final java.util.concurrent.ConcurrentLinkedQueue<SqlOp> deferred = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicBoolean drainScheduled = new java.util.concurrent.atomic.AtomicBoolean();

    private StateStore(String where, Connection connection, int schemaVersion) {
        this.where = where;
        this.connection = connection;
        this.schemaVersion = schemaVersion;
    }

    /**
     * Opens (creating it and its directory if missing) and migrates the database.
     *
     * @param path a file, or {@code :memory:} for a store that keeps nothing
     * @param synchronous NORMAL or FULL
     * @throws StoreException naming {@code store.path} and the file when it cannot be used
     */
    public static StateStore open(String path, String synchronous) {
        String where = "store.path " + path;
        boolean memory = path.equals(":memory:");
        try {
            if (!memory) {
                Path parent = Path.of(path).toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                if (Files.isDirectory(Path.of(path))) {
                    throw new StoreException(where + ": is a directory, not a database file");
                }
            }
        } catch (java.io.IOException e) {
            throw new StoreException(where + ": cannot create its directory: " + e, e);
        }
        Connection c = null;
        try {
            c = DriverManager.getConnection("jdbc:sqlite:" + path);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 5000");
                if (!memory) {
                    s.execute("PRAGMA journal_mode = WAL");
                    // checkpoints (the only fsyncs under NORMAL) run on a thread of their own, not in a commit
                    s.execute("PRAGMA wal_autocheckpoint = 0");
                }
                s.execute("PRAGMA synchronous = " + synchronous);
                s.execute("PRAGMA foreign_keys = ON");
            }
            int version = Migrations.apply(c, where);
            LOGGER.atInfo().addKeyValue("store", path).addKeyValue("schema", version)
                    .addKeyValue("synchronous", synchronous).log("state store open");
            StateStore store = new StateStore(where, c, version);
            if (!memory) {
                store.startCheckpointer(path);
            }
            return store;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            if (e instanceof StoreException se) {
                throw se;
            }
            throw new StoreException(where + ": cannot open the state database: " + e.getMessage(), e);
        }
    }

    /** An in-memory store: the same code, nothing kept (tests, and configs built in code). */
    public static StateStore memory() {
        return open(":memory:", "NORMAL");
    }

    /**
     * Copies the WAL into the database every second from a second connection (PASSIVE: never waits for, nor
     * blocks, a writer), so no commit pays for a checkpoint's fsync and the WAL stays small.
     */
    private void startCheckpointer(String path) throws SQLException {
        checkpointConnection = DriverManager.getConnection("jdbc:sqlite:" + path);
        checkpointer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "store-checkpoint");
            t.setDaemon(true);
            return t;
        });
        checkpointer.scheduleWithFixedDelay(() -> {
            try (Statement s = checkpointConnection.createStatement()) {
                s.execute("PRAGMA wal_checkpoint(PASSIVE)");
            } catch (SQLException e) {
                LOGGER.atWarn().addKeyValue("store", where).log("WAL checkpoint failed: " + e.getMessage());
            }
        }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    public int schemaVersion() {
        return schemaVersion;
    }

    /**
     * Runs {@code op} in the current batch of this thread, or on its own in a transaction committed before this
     * returns.
     */
    public void write(SqlOp op) {
        List<SqlOp> open = batch.get();
        if (open != null) {
            open.add(op);
        } else {
            commit(List.of(op));
        }
    }

    /**
     * Keeps {@code op} soon, on a thread of the store's own, for what nothing said to the outside depends on (a
     * scaling decision's history, a node's liveness state): the caller, often an event loop, never waits for the
     * disk. Kept in the order given, many to a transaction, so a burst (thousands of nodes turning Suspect after
     * a stall) costs a few commits rather than one each.
     */
    public void writeLater(SqlOp op) {
        deferred.add(op);
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                later.execute(this::drainDeferred);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                LOGGER.atDebug().addKeyValue("store", where).log("store closed: a background write was dropped");
            }
        }
    }

    /**
     * Runs {@code body} now and keeps every write it makes on this thread later, together and in order, as
     * {@link #writeLater} does. Inside a {@link #batch} the writes join that batch instead (and are kept with it).
     * The body may not use {@link #afterCommit}: nothing may wait for these writes.
     */
    public void batchLater(Runnable body) {
        if (batch.get() != null) {
            body.run();
            return;
        }
        List<SqlOp> ops = new ArrayList<>();
        collectingLater.set(Boolean.TRUE);
        try {
            capture(body, ops, new ArrayList<>());
        } finally {
            collectingLater.remove();
        }
        if (!ops.isEmpty()) {
            writeLater(c -> {
                for (SqlOp op : ops) {
                    op.apply(c);
                }
            });
        }
    }

    private void drainDeferred() {
        drainScheduled.set(false);
        List<SqlOp> ops = new ArrayList<>();
        for (SqlOp op = deferred.poll(); op != null; op = deferred.poll()) {
            ops.add(op);
            if (ops.size() == MAX_DEFERRED_PER_COMMIT) {
                commitDeferred(ops);
                ops = new ArrayList<>();
            }
        }
        if (!ops.isEmpty()) {
            commitDeferred(ops);
        }
    }

    /** One transaction for the lot; if it fails, each on its own, so one bad write loses only itself. */
    private void commitDeferred(List<SqlOp> ops) {
        try {
            commit(ops);
        } catch (RuntimeException batchFailed) {
            for (SqlOp op : ops) {
                try {
                    commit(List.of(op));
                } catch (RuntimeException e) {
                    LOGGER.atWarn().addKeyValue("store", where).log("a background write failed: " + e.getMessage());
                }
            }
        }
    }

    /**
     * Runs {@code body}; every write it makes on this thread is committed together when it returns, or none if it
     * throws. A batch inside a batch joins the outer one. Nothing in the body may tell the outside world about
     * the writes (they are not durable until the outermost batch ends).
     */
    public void batch(Runnable body) {
        if (collectingLater.get() != null) {
            throw new IllegalStateException("a durable batch inside batchLater would be kept later");
        }
        if (batch.get() != null) {
            body.run();
            return;
        }
        List<SqlOp> ops = new ArrayList<>();
        List<Runnable> then = new ArrayList<>();
        capture(body, ops, then);
        if (!ops.isEmpty()) {
            commit(ops);
        }
        then.forEach(Runnable::run);
    }

    /** Runs {@code body} with this thread's writes and after-commit steps collected into the lists given. */
    private void capture(Runnable body, List<SqlOp> ops, List<Runnable> then) {
        batch.set(ops);
        afterCommit.set(then);
        try {
            body.run();
        } finally {
            batch.remove();
            afterCommit.remove();
        }
    }

    /**
     * Runs {@code step} once this thread's writes so far are kept: at the end of the current batch if it commits
     * (never if it fails), or now outside a batch. In-memory views of the store (the credential and ledger
     * indexes) change here, so they never show what the disk does not have.
     */
    public void afterCommit(Runnable step) {
        if (collectingLater.get() != null) {
            throw new IllegalStateException("afterCommit inside batchLater: nothing may wait for a deferred write");
        }
        List<Runnable> then = afterCommit.get();
        if (then != null) {
            then.add(step);
        } else {
            step.run();
        }
    }

    /** How many reads the store has served since it opened (the Hello path must add none: see FleetStore). */
    public long reads() {
        return reads.get();
    }

    public <T> T read(SqlRead<T> read) {
        reads.incrementAndGet();
        lock.lock();
        try {
            return read.apply(connection);
        } catch (SQLException e) {
            throw new StoreException(where + ": read failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private void commit(List<SqlOp> ops) {
        lock.lock();
        try {
            connection.setAutoCommit(false);
            try {
                for (SqlOp op : ops) {
                    op.apply(connection);
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException(where + ": write failed (nothing of it was kept): " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        later.shutdown();
        try {
            later.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // whatever was queued after the writer's last pass (a node moved while the coordinator stopped) is kept here
        drainDeferred();
        if (checkpointer != null) {
            checkpointer.shutdownNow();
            try {
                checkpointer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closeQuietly(checkpointConnection);
        }
        lock.lock();
        try {
            closeQuietly(connection);
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                LOGGER.atDebug().log("closing the state store: " + e.getMessage());
            }
        }
    }
}
