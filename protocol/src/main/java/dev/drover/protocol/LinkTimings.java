package dev.drover.protocol;

/**
 * The liveness timings both ends derive from the heartbeat interval (PROTOCOL.md §6.5), in one place so the
 * coordinator's keepalive always comes well inside the agent's silence allowance.
 */
public final class LinkTimings {
    /** The agent never gives up on a coordinator sooner than this, however short the heartbeat interval. */
    public static final long MIN_SILENCE_ALLOWANCE_MILLIS = 8_000;

    private LinkTimings() {
    }

    /**
     * How long the agent lets the coordinator be silent before it pings (and as long again before it drops
     * the link): four intervals, at least 8 s, so a coordinator stalled for a few seconds loses nobody.
     */
    public static long agentSilenceAllowanceMillis(int heartbeatIntervalMillis) {
        return Math.max(4L * heartbeatIntervalMillis, MIN_SILENCE_ALLOWANCE_MILLIS);
    }

    /**
     * The coordinator writes to an agent at least this often (a keepalive Ack when it has nothing else to
     * say): half the agent's allowance, and never more often than every two intervals, so the keepalive costs
     * at most one 13-byte frame per two heartbeats and leaves half the allowance for a stall.
     */
    public static long coordinatorKeepaliveMillis(int heartbeatIntervalMillis) {
        return Math.max(2L * heartbeatIntervalMillis, agentSilenceAllowanceMillis(heartbeatIntervalMillis) / 2);
    }
}
