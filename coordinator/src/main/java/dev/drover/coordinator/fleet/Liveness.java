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
        Duration silent = Duration.between(lastSeen, now);
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
