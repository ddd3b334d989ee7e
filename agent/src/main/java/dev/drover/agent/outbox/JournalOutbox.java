package dev.drover.agent.outbox;

import dev.drover.agent.session.DeliveryStore;
import dev.drover.agent.state.StateDirectory;
import dev.drover.agent.state.StateDirectoryException;
import dev.drover.protocol.Ack;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.Message;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskStarted;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's reliable events on disk, so that a restart of the agent process — {@code kill -9} included —
 * loses none that the coordinator has not acknowledged, and sends them again once, in order, under the same
 * stream id and sequence numbers. Each event is appended as its protocol frame and forced to disk before it
 * is handed to the network (reliable events are rare: task start and finish, evictions, drain phases);
 * acknowledgements are appended without forcing (losing one only means a resend, which the coordinator
 * recognises), because they arrive on the network loop. Past {@link #COMPACT_MIN_BYTES} the file is rewritten
 * with only the pending events (just its header once everything is acknowledged) whenever more than half of it
 * is dead. Bounded like the in-memory outbox: when full, the oldest event is dropped and counted. Thread-safe.
 */
public final class JournalOutbox implements DeliveryStore, AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(JournalOutbox.class);
    public static final String FILE_NAME = "outbox.journal";
    /** The coordinator stream this agent follows and how far it got: "streamId seq", replaced atomically. */
    public static final String COMMANDS_FILE = "commands.position";
    /** Below this size the file is never rewritten: appending an acknowledgement is cheaper than a rewrite. */
    static final long COMPACT_MIN_BYTES = 256 * 1024;

    private final Path file;
    private final int capacity;
    private final long compactMinBytes;
    private final String streamId;
    private final long createdAtMillis;
    private final ArrayDeque<Entry> pending = new ArrayDeque<>();
    private FileChannel channel;
    private long fileBytes;
    private long liveBytes;
    private long lastSeq;
    private long dropped;
    /** A write failed part-way: the file no longer matches memory until it is rewritten whole. */
    private boolean rewriteNeeded;
    private String commandStreamId = "";
    private long lastCommandSeq;

    private record Entry(Reliable message, byte[] record) {
    }

    private JournalOutbox(Path file, int capacity, long compactMinBytes, JournalFile.Header header) {
        this.file = file;
        this.capacity = capacity;
        this.compactMinBytes = compactMinBytes;
        this.streamId = header.streamId();
        this.createdAtMillis = header.createdAtMillis();
        this.lastSeq = header.lastSeq();
        this.dropped = header.dropped();
    }

    /**
     * Opens the journal in {@code dir}, replaying what the previous agent process left, or starts a new stream.
     *
     * @throws StateDirectoryException naming the file when it cannot be read or written
     */
    public static JournalOutbox open(Path dir, int capacity, Clock clock) {
        return open(dir, capacity, clock, COMPACT_MIN_BYTES);
    }

    static JournalOutbox open(Path dir, int capacity, Clock clock, long compactMinBytes) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
        }
        Path file = dir.resolve(FILE_NAME);
        try {
            JournalOutbox journal;
            if (Files.exists(file)) {
                journal = replay(file, capacity, clock, compactMinBytes);
            } else {
                journal = fresh(file, capacity, clock, compactMinBytes);
            }
            journal.channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
            journal.channel.position(journal.fileBytes);
            journal.readCommandPosition(dir.resolve(COMMANDS_FILE));
            LOGGER.atInfo().addKeyValue("file", file).addKeyValue("streamId", journal.streamId)
                    .addKeyValue("pending", journal.pending.size()).addKeyValue("lastSeq", journal.lastSeq)
                    .addKeyValue("dropped", journal.dropped).log("outbox journal opened");
            return journal;
        } catch (IOException e) {
            throw new StateDirectoryException("outbox journal " + file + " is not usable: " + e, e);
        }
    }

    private static JournalOutbox fresh(Path file, int capacity, Clock clock, long compactMinBytes)
            throws IOException {
        JournalFile.Header header = new JournalFile.Header(UUID.randomUUID().toString(), clock.millis(), 0, 0);
        JournalOutbox journal = new JournalOutbox(file, capacity, compactMinBytes, header);
        byte[] bytes = JournalFile.header(header);
        StateDirectory.writeAtomically(file, bytes);
        journal.fileBytes = bytes.length;
        return journal;
    }

    private static JournalOutbox replay(Path file, int capacity, Clock clock, long compactMinBytes)
            throws IOException {
        JournalFile.Contents contents;
        try {
            contents = JournalFile.read(file);
        } catch (IOException e) {
            // Headers are only ever written whole (write, force, rename), so this is not a torn write: keep
            // the file for whoever looks into it, and start a new stream the coordinator will see as new.
            Path aside = file.resolveSibling(file.getFileName() + ".damaged-" + clock.millis());
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            LOGGER.atError().addKeyValue("file", file).addKeyValue("movedTo", aside)
                    .log("outbox journal unreadable (" + e.getMessage() + "); starting a new stream");
            return fresh(file, capacity, clock, compactMinBytes);
        }
        JournalOutbox journal = new JournalOutbox(file, capacity, compactMinBytes, contents.header());
        long offset = JournalFile.header(contents.header()).length;
        String damage = contents.damage();
        for (int i = 0; i < contents.records().size(); i++) {
            String wrong = journal.apply(contents.records().get(i), contents.recordBytes().get(i));
            if (wrong != null) {
                damage = wrong + " at offset " + offset + " (" + (Files.size(file) - offset) + " bytes dropped)";
                break;
            }
            offset += contents.recordBytes().get(i);
        }
        journal.fileBytes = offset;
        if (damage != null) {
            LOGGER.atWarn().addKeyValue("file", file).addKeyValue("kept", journal.pending.size())
                    .log("outbox journal: dropped a damaged tail (a write torn by a crash): " + damage);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(offset);
                ch.force(true);
            }
        }
        return journal;
    }

    /** Replays one record into memory; returns why it cannot belong here, or null. */
    private String apply(Message record, int recordBytes) {
        if (record instanceof Ack ack) {
            releaseUpTo(ack.seq());
            return null;
        }
        if (!(record instanceof EvictionNotice || record instanceof TaskStarted || record instanceof TaskFinished
                || record instanceof DrainState)) {
            return "record of type " + record.type() + " does not belong in the agent's outbox";
        }
        Reliable event = (Reliable) record;
        if (event.seq() <= lastSeq) {
            return "record seq " + event.seq() + " not above the previous " + lastSeq;
        }
        keep(event, JournalFile.record(event));
        return null;
    }

    @Override
    public synchronized Reliable add(LongFunction<Reliable> create) {
        Reliable message = create.apply(lastSeq + 1);
        if (message.seq() != lastSeq + 1) {
            throw new IllegalArgumentException("message must carry the sequence it was given: expected "
                    + (lastSeq + 1) + ", got " + message.seq());
        }
        byte[] record = JournalFile.record(message);
        keep(message, record);
        if (rewriteNeeded) {
            rewrite();
        } else if (write(record, true)) {
            maybeCompact();
        }
        return message;
    }

    private void keep(Reliable message, byte[] record) {
        lastSeq = message.seq();
        if (pending.size() == capacity) {
            Entry oldest = pending.removeFirst();
            liveBytes -= oldest.record().length;
            dropped++;
        }
        pending.addLast(new Entry(message, record));
        liveBytes += record.length;
    }

    @Override
    public synchronized int acknowledge(long seq) {
        int released = releaseUpTo(seq);
        if (released == 0) {
            return 0;
        }
        if (rewriteNeeded) {
            rewrite();
        } else if (write(JournalFile.record(new Ack(seq)), false)) {
            maybeCompact();
        }
        return released;
    }

    private int releaseUpTo(long seq) {
        int released = 0;
        while (!pending.isEmpty() && pending.peekFirst().message().seq() <= seq) {
            liveBytes -= pending.removeFirst().record().length;
            released++;
        }
        return released;
    }

    private void maybeCompact() {
        if (fileBytes > compactMinBytes && fileBytes > 2 * liveBytes) {
            rewrite();
        }
    }

    /** Appends one record; on failure the event stays in memory and the file is rewritten at the next change. */
    private boolean write(byte[] record, boolean force) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(record);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            if (force) {
                channel.force(false);
            }
            fileBytes += record.length;
            return true;
        } catch (IOException e) {
            rewriteNeeded = true;
            LOGGER.atError().addKeyValue("file", file)
                    .log("outbox journal write failed; events kept in memory and the file rewritten next time: " + e);
            return false;
        }
    }

    /** The file from memory: a header saying where the stream stands, then every pending event. */
    private void rewrite() {
        long before = pending.isEmpty() ? lastSeq : pending.peekFirst().message().seq() - 1;
        byte[] header = JournalFile.header(new JournalFile.Header(streamId, createdAtMillis, before, dropped));
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(header.length + liveBytes));
        all.put(header);
        pending.forEach(e -> all.put(e.record()));
        try {
            channel.close();
            StateDirectory.writeAtomically(file, all.array());
            channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
            channel.position(all.capacity());
            fileBytes = all.capacity();
            rewriteNeeded = false;
        } catch (IOException e) {
            rewriteNeeded = true;
            LOGGER.atError().addKeyValue("file", file)
                    .log("outbox journal rewrite failed; events kept in memory, will retry: " + e);
            reopenQuietly();
        }
    }

    private void reopenQuietly() {
        try {
            if (!channel.isOpen()) {
                channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
                channel.position(channel.size());
            }
        } catch (IOException e) {
            // the next change tries again
        }
    }

    private void readCommandPosition(Path positionFile) throws IOException {
        if (!Files.exists(positionFile)) {
            return;
        }
        String[] parts = Files.readString(positionFile, StandardCharsets.US_ASCII).trim().split(" ");
        try {
            if (parts.length == 2 && !parts[0].isBlank() && Long.parseLong(parts[1]) >= 0) {
                commandStreamId = parts[0];
                lastCommandSeq = Long.parseLong(parts[1]);
                return;
            }
        } catch (NumberFormatException e) {
            // fall through: treated like a missing file
        }
        // Written atomically, so this is not a torn write; forgetting the position only means the
        // coordinator's pending commands come again, which RunTask's idempotency per TaskRef absorbs.
        LOGGER.atWarn().addKeyValue("file", positionFile).log("command position unreadable; following afresh");
    }

    @Override
    public synchronized String commandStreamId() {
        return commandStreamId;
    }

    @Override
    public synchronized long lastCommandSeq() {
        return lastCommandSeq;
    }

    /** Durable before it returns, so the Ack that follows never covers a command a restart would forget. */
    @Override
    public synchronized void commandProcessed(String streamId, long seq) {
        if (streamId.equals(commandStreamId) && seq == lastCommandSeq) {
            return;
        }
        commandStreamId = streamId;
        lastCommandSeq = seq;
        Path positionFile = file.resolveSibling(COMMANDS_FILE);
        try {
            StateDirectory.writeAtomically(positionFile, (streamId + " " + seq + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            LOGGER.atError().addKeyValue("file", positionFile)
                    .log("cannot record the command position; a restart may see commands again: " + e);
        }
    }

    @Override
    public synchronized boolean isSettled(long seq) {
        return seq <= lastSeq && (pending.isEmpty() || pending.peekFirst().message().seq() > seq);
    }

    @Override
    public synchronized List<Reliable> unacknowledged() {
        List<Reliable> out = new ArrayList<>(pending.size());
        pending.forEach(e -> out.add(e.message()));
        return out;
    }

    @Override
    public synchronized int size() {
        return pending.size();
    }

    @Override
    public synchronized long dropped() {
        return dropped;
    }

    public synchronized long lastSeq() {
        return lastSeq;
    }

    @Override
    public String streamId() {
        return streamId;
    }

    /** Bytes the journal file holds now (for tests and the footprint benchmark). */
    synchronized long fileBytes() {
        return fileBytes;
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // everything that matters was forced when written
        }
    }
}
