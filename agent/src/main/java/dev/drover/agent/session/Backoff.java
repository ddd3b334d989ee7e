package dev.drover.agent.session;

import java.util.random.RandomGenerator;

/**
 * Capped exponential backoff with full jitter: attempt n waits a random time in [0, min(cap, base·2ⁿ)].
 * Full jitter keeps a farm of thousands of agents from reconnecting in lockstep after a coordinator restart.
 */
public final class Backoff {
    private final long baseMillis;
    private final long capMillis;
    private final RandomGenerator random;
    private int attempt;

    public Backoff(long baseMillis, long capMillis, RandomGenerator random) {
        this.baseMillis = baseMillis;
        this.capMillis = capMillis;
        this.random = random;
    }

    /** The delay before the next attempt; each call counts as one more failed attempt. */
    public long nextDelayMillis() {
        long ceiling = Math.min(capMillis, baseMillis << Math.min(attempt, 30));
        attempt++;
        return random.nextLong(ceiling + 1);
    }

    public void reset() {
        attempt = 0;
    }
}
