package dev.drover.agent.helper;

import org.slf4j.Logger;

/**
 * At most one warning per interval, with the count of those suppressed meanwhile: a local process knocking on
 * the helper's socket in a loop must not fill the journal.
 */
final class RateLimitedLog {
    private final Logger logger;
    private final long intervalMillis;
    private long lastMillis = Long.MIN_VALUE / 2;
    private long suppressed;

    RateLimitedLog(Logger logger, long intervalMillis) {
        this.logger = logger;
        this.intervalMillis = intervalMillis;
    }

    synchronized void log(String message) {
        long now = System.currentTimeMillis();
        if (now - lastMillis < intervalMillis) {
            suppressed++;
            return;
        }
        lastMillis = now;
        logger.atWarn().addKeyValue("suppressed", suppressed).log(message);
        suppressed = 0;
    }
}
