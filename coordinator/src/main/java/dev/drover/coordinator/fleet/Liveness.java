package dev.drover.coordinator.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Decides Suspect and Lost from heartbeat silence. Pure: a snapshot and a time in, a decision out. */
public final class Liveness {
    private Liveness() {
    }

    /** The state a node should move to now, with the reason, or empty to leave it as it is. */
    public static Optional<Decision> evaluate(NodeState state, Instant lastSeen, Instant now,
            LivenessSettings settings) {
        return evaluate(state, lastSeen, now, settings, false);
    }

    /**
     * @param notHeardFrom the node was remembered across a coordinator restart and its agent has not reconnected
     *     yet: it keeps the state it had (a drain stays a drain) for the Lost time, then is Suspect and Lost
     */
    public static Optional<Decision> evaluate(NodeState state, Instant lastSeen, Instant now,
            LivenessSettings settings, boolean notHeardFrom) {
        Duration silent = Duration.between(lastSeen, now);
        if (notHeardFrom && state != NodeState.EVICTING) {
            if (!state.expectsHeartbeats() || silent.compareTo(settings.lostAfter()) <= 0) {
                return Optional.empty();
            }
            // through Suspect, as any silent node goes (the next sweep makes it Lost)
            return Optional.of(new Decision(state == NodeState.SUSPECT ? NodeState.LOST : NodeState.SUSPECT,
                    "not heard from for " + silent.toSeconds() + " s since the coordinator restarted"));
        }
        if (state == NodeState.EVICTING && silent.compareTo(settings.lostAfter()) > 0) {
            return Optional.of(new Decision(NodeState.GONE, "evicted and silent for " + silent.toSeconds() + " s"));
        }
        if (state != NodeState.SUSPECT && state != NodeState.LOST && state.expectsHeartbeats()
                && silent.compareTo(settings.suspectAfter()) > 0) {
            return Optional.of(new Decision(NodeState.SUSPECT, "no heartbeat for " + silent.toMillis() + " ms ("
                    + settings.suspectAfterMissed() + " missed)"));
        }
        if (state == NodeState.SUSPECT && silent.compareTo(settings.lostAfter()) > 0) {
            return Optional.of(new Decision(NodeState.LOST, "no heartbeat for " + silent.toSeconds() + " s"));
        }
        return Optional.empty();
    }

    public record Decision(NodeState to, String reason) {
    }
}
