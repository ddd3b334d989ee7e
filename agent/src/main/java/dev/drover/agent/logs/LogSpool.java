package dev.drover.agent.logs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs waiting for upload, as files in a directory of the agent's own (a copy, so the task may delete or
 * rewrite its file): {@code <n>.log} with the blob name in {@code <n>.name}. Bounded: when adding would pass
 * the limit the oldest entries go, and are counted. It survives an agent restart.
 */
public final class LogSpool {
    private final Path dir;
    private final long maxBytes;
    private final AtomicLong next;
    private final AtomicLong dropped = new AtomicLong();

    public record Entry(Path file, String blobName, long order) {
    }

    public LogSpool(Path dir, long maxBytes) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.maxBytes = maxBytes;
        this.next = new AtomicLong(entries().stream().mapToLong(Entry::order).max().orElse(0) + 1);
    }

    /** Copies {@code source} in; returns false (and counts a drop) if it alone is larger than the spool. */
    public synchronized boolean add(Path source, String blobName) throws IOException {
        long size = Files.size(source);
        if (size > maxBytes) {
            dropped.incrementAndGet();
            return false;
        }
        List<Entry> existing = entries();
        long used = 0;
        for (Entry e : existing) {
            used += Files.size(e.file());
        }
        for (int i = 0; used + size > maxBytes && i < existing.size(); i++) {
            used -= Files.size(existing.get(i).file());
            remove(existing.get(i));
            dropped.incrementAndGet();
        }
        long n = next.getAndIncrement();
        Path tmp = dir.resolve(n + ".tmp");
        Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve(n + ".name"), blobName, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(n + ".log"), StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** Entries oldest first. */
    public synchronized List<Entry> entries() throws IOException {
        List<Entry> list = new ArrayList<>();
        try (DirectoryStream<Path> logs = Files.newDirectoryStream(dir, "*.log")) {
            for (Path log : logs) {
                String base = log.getFileName().toString().replace(".log", "");
                Path name = dir.resolve(base + ".name");
                if (Files.exists(name)) {
                    try {
                        list.add(new Entry(log, Files.readString(name, StandardCharsets.UTF_8), Long.parseLong(base)));
                    } catch (NumberFormatException ignored) {
                        // not ours
                    }
                }
            }
        }
        list.sort(Comparator.comparingLong(Entry::order));
        return list;
    }

    public synchronized void remove(Entry e) throws IOException {
        Files.deleteIfExists(e.file());
        Files.deleteIfExists(dir.resolve(e.order() + ".name"));
    }

    public long dropped() {
        return dropped.get();
    }
}
