package dev.drover.protocol;

/**
 * The receiver's side of reliable delivery: remembers the highest sequence processed from one peer, so a
 * message resent after a reconnect is recognised and dropped (but acknowledged again). Sequences may have
 * gaps when the sender's outbox overflowed; anything above the last one seen is new.
 */
public final class InboundSequence {
    private long last;

    public InboundSequence() {
        this(0);
    }

    public InboundSequence(long last) {
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

    public synchronized long last() {
        return last;
    }
}
