package dev.drover.agent.session;

import java.util.random.RandomGenerator;

/**
 * Capped exponential backoff with full jitter: attempt n waits a random time in [0, min(cap, base·2ⁿ)].
 * Full jitter keeps a farm of thousands of agents from reconnecting in lockstep after a coordinator restart.
 *
 * <p>An attempt the coordinator's host refused at once (nothing listens: the coordinator is restarting) has a
 * lower cap: such a probe costs the head node one RST in its kernel, and the lower cap is what brings a fleet
 * back soon after the coordinator listens again (the wait that runs when it does is at most this cap). The
 * fleet still arrives spread over the whole window, never in lockstep (PROTOCOL.md §1).
 */
public final class Backoff {
    private final long baseMillis;
    private final long capMillis;
    private final long refusedCapMillis;
    private final RandomGenerator random;
    private int attempt;

    public Backoff(long baseMillis, long capMillis, RandomGenerator random) {
        this(baseMillis, capMillis, capMillis, random);
    }

    /** @param refusedCapMillis the cap after an attempt that was refused at once; at most {@code capMillis} */
    public Backoff(long baseMillis, long capMillis, long refusedCapMillis, RandomGenerator random) {
        this.baseMillis = baseMillis;
        this.capMillis = capMillis;
        this.refusedCapMillis = Math.min(refusedCapMillis, capMillis);
        this.random = random;
    }

    /** The delay before the next attempt; each call counts as one more failed attempt. */
    public long nextDelayMillis() {
        return next(capMillis);
    }

    /** The delay after an attempt whose connection was refused at once (no coordinator listening). */
    public long nextDelayAfterRefusalMillis() {
        return next(refusedCapMillis);
    }

    private long next(long cap) {
        long ceiling = Math.min(cap, baseMillis << Math.min(attempt, 30));
        attempt++;
        return random.nextLong(ceiling + 1);
    }

    public void reset() {
        attempt = 0;
    }
}
