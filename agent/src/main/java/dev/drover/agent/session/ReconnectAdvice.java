package dev.drover.agent.session;

import dev.drover.protocol.ByeReason;
import dev.drover.protocol.RejectReason;
import java.util.random.RandomGenerator;

/**
 * How long to wait before the next connection attempt after the coordinator said why it closed
 * (PROTOCOL.md §6, "Reject and Bye"). Pure. Reasons that retrying cannot fix (wrong version, credential,
 * Hello) wait long, and are logged loudly by the caller; SUPERSEDED means another connection speaks for this
 * node, so this one backs off instead of fighting it; everything else uses the capped exponential backoff
 * with full jitter, so a fleet told to go away together does not come back together.
 */
public enum ReconnectAdvice {
    /** Ordinary backoff (lost link, SHUTDOWN, IDLE_TIMEOUT, PROTOCOL_ERROR, SHUTTING_DOWN). */
    BACKOFF(0),
    /** The coordinator is at its connection limit: backoff, but never sooner than a few seconds. */
    OVERLOADED(5_000),
    /** Another connection holds this node id. */
    SUPERSEDED(60_000),
    /** Retrying cannot help until someone fixes configuration or upgrades. */
    MISCONFIGURED(300_000);

    private final long floorMillis;

    ReconnectAdvice(long floorMillis) {
        this.floorMillis = floorMillis;
    }

    public static ReconnectAdvice after(RejectReason reason) {
        return switch (reason) {
            case UNSUPPORTED_VERSION, BAD_CREDENTIAL, INVALID_HELLO -> MISCONFIGURED;
            case OVERLOADED -> OVERLOADED;
            case SHUTTING_DOWN, ATTESTATION_REQUIRED -> BACKOFF;
        };
    }

    public static ReconnectAdvice after(ByeReason reason) {
        return reason == ByeReason.SUPERSEDED ? SUPERSEDED : BACKOFF;
    }

    /** Whether the reason needs an operator, so it is logged at ERROR. */
    public boolean needsOperator() {
        return this == MISCONFIGURED || this == SUPERSEDED;
    }

    /**
     * The wait before the next attempt: the backoff's own jittered delay, or for a floor a time spread
     * uniformly over [floor, 1.5 × floor] so that agents sent away together return apart.
     */
    public long delayMillis(Backoff backoff, RandomGenerator random) {
        long jittered = backoff.nextDelayMillis();
        if (floorMillis == 0) {
            return jittered;
        }
        return Math.max(jittered, floorMillis + random.nextLong(floorMillis / 2 + 1));
    }
}
