package dev.drover.protocol;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The sender's side of reliable delivery: numbers each reliable message, keeps it until the peer's
 * cumulative {@link Ack} covers it, and hands back everything unacknowledged for resending after a
 * reconnect. Bounded: when full, the oldest message is dropped and counted, because an unbounded buffer
 * on a render node that lost its coordinator for a day would eventually take the node down with it.
 * Thread-safe; the agent adds from task threads and acknowledges from its network loop.
 */
public final class Outbox<T extends Reliable> {
    private final String streamId;
    private final int capacity;
    private final ArrayDeque<T> pending = new ArrayDeque<>();
    private long lastSeq;
    private long dropped;

    /** A new stream with a fresh random id (PROTOCOL.md §6: a new outbox is a new stream, seqs from 1). */
    public Outbox(int capacity) {
        this(newStreamId(), capacity, 0, 0, java.util.List.of());
    }

    /**
     * An outbox restored from durable storage: the same stream, continuing after {@code lastSeq}, with the
     * messages that were still unacknowledged (oldest first).
     */
    public Outbox(String streamId, int capacity, long lastSeq, long dropped, List<T> pending) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
        }
        if (streamId == null || streamId.isBlank() || streamId.length() > 64) {
            throw new IllegalArgumentException("streamId must be 1..64 characters, got '" + streamId + "'");
        }
        long previous = 0;
        for (T message : pending) {
            if (message.seq() <= previous || message.seq() > lastSeq) {
                throw new IllegalArgumentException("pending seq " + message.seq() + " out of order or above lastSeq "
                        + lastSeq);
            }
            previous = message.seq();
        }
        this.streamId = streamId;
        this.capacity = capacity;
        this.lastSeq = lastSeq;
        this.dropped = dropped;
        this.pending.addAll(pending);
    }

    /** A random stream id: 128 bits, so two outboxes never share one by chance. */
    public static String newStreamId() {
        return java.util.UUID.randomUUID().toString();
    }

    public String streamId() {
        return streamId;
    }

    /** Creates the next message with a fresh sequence number and keeps it until acknowledged. */
    public synchronized T add(LongFunction<T> create) {
        T message = create.apply(lastSeq + 1);
        if (message.seq() != lastSeq + 1) {
            throw new IllegalArgumentException("message must carry the sequence it was given: expected "
                    + (lastSeq + 1) + ", got " + message.seq());
        }
        lastSeq = message.seq();
        if (pending.size() == capacity) {
            pending.removeFirst();
            dropped++;
        }
        pending.addLast(message);
        return message;
    }

    /** Forgets every message up to and including {@code seq}. Returns how many were released. */
    public synchronized int acknowledge(long seq) {
        int released = 0;
        while (!pending.isEmpty() && pending.peekFirst().seq() <= seq) {
            pending.removeFirst();
            released++;
        }
        return released;
    }

    /** True once {@code seq} was assigned and is no longer pending (acknowledged, or dropped when full). */
    public synchronized boolean isSettled(long seq) {
        return seq <= lastSeq && (pending.isEmpty() || pending.peekFirst().seq() > seq);
    }

    /** Everything sent or queued but not yet acknowledged, oldest first. */
    public synchronized List<T> unacknowledged() {
        return List.copyOf(pending);
    }

    public synchronized int size() {
        return pending.size();
    }

    /** Messages dropped because the outbox was full, since it was created. */
    public synchronized long dropped() {
        return dropped;
    }

    public synchronized long lastSeq() {
        return lastSeq;
    }
}
