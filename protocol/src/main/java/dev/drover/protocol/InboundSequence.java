package dev.drover.protocol;

/**
 * The receiver's side of reliable delivery for one peer: which of the peer's streams it is reading and the
 * highest sequence processed in it, so a message resent after a reconnect is recognised and dropped (but
 * acknowledged again). Sequences may have gaps when the sender's outbox overflowed; anything above the last
 * one seen is new. A different stream id means the sender started a new outbox (it restarted without its
 * old one), so counting starts again from 0 (PROTOCOL.md §6).
 */
public final class InboundSequence {
    private String streamId;
    private long last;

    public InboundSequence() {
        this("", 0);
    }

    public InboundSequence(long last) {
        this("", last);
    }

    public InboundSequence(String streamId, long last) {
        this.streamId = java.util.Objects.requireNonNull(streamId, "streamId");
        if (last < 0) {
            throw new IllegalArgumentException("last must be >= 0, got " + last);
        }
        this.last = last;
    }

    /** True if {@code seq} is new and should be processed; false for a duplicate. */
    public synchronized boolean accept(long seq) {
        if (seq <= last) {
            return false;
        }
        last = seq;
        return true;
    }

    /**
     * Follows the sender to stream {@code id}: a different stream starts again from 0. Returns true if it
     * was a different stream. An empty id (a peer that names no streams) never resets anything.
     */
    public synchronized boolean follow(String id) {
        if (id.isEmpty() || id.equals(streamId)) {
            return false;
        }
        streamId = id;
        last = 0;
        return true;
    }

    /** The highest seq processed of stream {@code id}, or 0 when this receiver is not reading that stream. */
    public synchronized long lastOf(String id) {
        return id.equals(streamId) ? last : 0;
    }

    public synchronized String streamId() {
        return streamId;
    }

    public synchronized long last() {
        return last;
    }
}
