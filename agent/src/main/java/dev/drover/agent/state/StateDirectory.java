package dev.drover.agent.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The directory where the agent keeps what must survive its own restart (config key {@code stateDir}): the
 * outbox journal and the record of its tasks. Held with an exclusive lock for the life of the process, so a
 * second agent pointed at the same directory stops at once instead of reaping the first one's tasks.
 */
public final class StateDirectory implements AutoCloseable {
    private static final String LOCK_FILE = "agent.lock";

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private StateDirectory(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Creates the directory if needed and locks it; every failure names the directory and the config key. */
    public static StateDirectory open(Path dir) {
        Path lockFile = dir.resolve(LOCK_FILE);
        FileChannel channel;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException | SecurityException e) {
            throw new StateDirectoryException("stateDir " + dir + " is not usable (it must be a writable directory): "
                    + e, e);
        }
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null; // held by this very process (tests that start two agents in one JVM)
            }
            if (lock == null) {
                channel.close();
                throw new StateDirectoryException("stateDir " + dir + " is in use by another drover-agent (lock "
                        + lockFile + "); give each agent its own stateDir");
            }
            channel.truncate(0);
            channel.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            return new StateDirectory(dir, channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StateDirectoryException("stateDir " + dir + ": cannot lock " + lockFile + ": " + e, e);
        }
    }

    public Path path() {
        return dir;
    }

    public Path resolve(String name) {
        return dir.resolve(name);
    }

    /**
     * Replaces {@code target} with {@code bytes} so that a crash at any moment leaves either the old or the
     * new content: write a sibling, force it to disk, rename over, force the directory.
     */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        forceDirectory(target.toAbsolutePath().getParent());
    }

    /** Makes a rename in {@code dir} durable (Linux allows fsync on a directory opened read-only). */
    static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // not supported on this file system; the rename is still atomic, only its durability is weaker
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // the process is ending; the lock goes with it
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }
}
