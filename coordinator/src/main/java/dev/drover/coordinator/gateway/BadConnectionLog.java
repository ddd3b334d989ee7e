package dev.drover.coordinator.gateway;

import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs connections the gateway refused or dropped before they enrolled, at most {@code maxPerSecond} lines a
 * second; the lines past that are counted, and the count is logged with the next line that gets through. An
 * attacker can then not fill the disk or bury real events, and every peer-supplied text is cleaned first.
 */
public final class BadConnectionLog {
    private static final Logger LOGGER = LoggerFactory.getLogger(BadConnectionLog.class);
    /** Lines a second for the whole gateway: enough to see an attack start, too few to flood the journal. */
    public static final int DEFAULT_LINES_PER_SECOND = 10;
    /** The gateway's one budget, shared by every connection (the handshake code logs through it too). */
    static final BadConnectionLog GATEWAY = new BadConnectionLog(DEFAULT_LINES_PER_SECOND, System::nanoTime);
    /** The budget for enrolled sessions closed for misbehaving (rate limit, protocol errors after the Hello). */
    static final BadConnectionLog SESSIONS = new BadConnectionLog(DEFAULT_LINES_PER_SECOND, System::nanoTime);

    private final int maxPerSecond;
    private final LongSupplier nanoClock;
    private long windowStart;
    private int inWindow;
    private long suppressed;
    private long totalSuppressed;

    public BadConnectionLog(int maxPerSecond, LongSupplier nanoClock) {
        if (maxPerSecond < 1) {
            throw new IllegalArgumentException("maxPerSecond must be >= 1, got " + maxPerSecond);
        }
        this.maxPerSecond = maxPerSecond;
        this.nanoClock = nanoClock;
        this.windowStart = nanoClock.getAsLong();
    }

    /** Logs one bad connection unless the budget for this second is spent; returns whether it was logged. */
    public boolean warn(Object remote, String what, Object detail) {
        long suppressedBefore;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            if (now - windowStart >= 1_000_000_000L) {
                windowStart = now;
                inWindow = 0;
            }
            if (inWindow >= maxPerSecond) {
                suppressed++;
                totalSuppressed++;
                return false;
            }
            inWindow++;
            suppressedBefore = suppressed;
            suppressed = 0;
        }
        var line = LOGGER.atWarn().addKeyValue("remote", LogText.clean(remote));
        if (suppressedBefore > 0) {
            line = line.addKeyValue("suppressedSinceLast", suppressedBefore);
        }
        line.log(what + ": " + LogText.clean(detail));
        return true;
    }

    public synchronized long totalSuppressed() {
        return totalSuppressed;
    }
}
