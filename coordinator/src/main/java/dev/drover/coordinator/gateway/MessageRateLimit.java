package dev.drover.coordinator.gateway;

import java.util.function.LongSupplier;

/**
 * How many messages one enrolled session may send: a token bucket ({@code perSecond} refill, {@code burst}
 * capacity), one token per message. A session that outruns it first loses its progress reports (they are
 * latest-value: the next one replaces a dropped one, PROTOCOL.md §5) once the bucket is below
 * {@link #DROP_PROGRESS_BELOW} of its capacity, so reliable events keep the rest; a session that empties the
 * bucket is closed. Pure: no I/O, the clock is injected. One instance per connection, used on its event loop.
 */
final class MessageRateLimit {
    /** Below this fraction of the burst, progress reports are dropped instead of applied. */
    static final double DROP_PROGRESS_BELOW = 0.25;

    /** What to do with one message. */
    enum Verdict {
        /** Apply it. */
        ACCEPT,
        /** Throw it away (a progress report, superseded by the next one); the session stays. */
        DROP,
        /** The session sends faster than any agent does: close it. */
        CLOSE
    }

    private final double perNano;
    private final double burst;
    private final double dropBelow;
    private final LongSupplier nanoClock;
    private double tokens;
    private long last;

    MessageRateLimit(double perSecond, int burst, LongSupplier nanoClock) {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("perSecond must be > 0, got " + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be >= 1, got " + burst);
        }
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.dropBelow = burst * DROP_PROGRESS_BELOW;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.last = nanoClock.getAsLong();
    }

    /**
     * Takes one token for a message.
     *
     * @param droppable the message may be dropped without loss (a progress report)
     */
    Verdict admit(boolean droppable) {
        long now = nanoClock.getAsLong();
        long elapsed = now - last;
        if (elapsed > 0) {
            // elapsed * perNano cannot overflow a double; the bucket never holds more than its burst
            tokens = Math.min(burst, tokens + elapsed * perNano);
            last = now;
        }
        if (tokens < 1) {
            return Verdict.CLOSE;
        }
        // a dropped report still costs its token: a session flooding with progress alone is closed too
        tokens -= 1;
        if (droppable && tokens < dropBelow) {
            return Verdict.DROP;
        }
        return Verdict.ACCEPT;
    }

    /** Tokens left, for tests and the close reason. */
    double tokens() {
        return tokens;
    }
}
