package dev.drover.coordinator.fleet;

import java.time.Duration;

/**
 * When silence becomes Suspect and then Lost (DESIGN.md flow 5).
 *
 * @param heartbeatInterval what agents are told in Welcome
 * @param jitterPercent the ± spread agents apply to the interval
 * @param suspectAfterMissed heartbeats missed before Suspect
 * @param lostAfter silence before Lost
 */
public record LivenessSettings(Duration heartbeatInterval, int jitterPercent, int suspectAfterMissed,
        Duration lostAfter) {

    public LivenessSettings {
        if (suspectAfterMissed < 1) {
            throw new IllegalArgumentException("liveness.suspectAfterMissed must be >= 1, got " + suspectAfterMissed);
        }
        if (lostAfter.compareTo(suspectAfter(heartbeatInterval, jitterPercent, suspectAfterMissed)) <= 0) {
            throw new IllegalArgumentException("liveness.lostAfterMillis must be longer than the suspect window ("
                    + suspectAfter(heartbeatInterval, jitterPercent, suspectAfterMissed).toMillis() + " ms)");
        }
    }

    /** Silence after which a node is Suspect: the missed beats, each allowed its longest jittered interval. */
    public Duration suspectAfter() {
        return suspectAfter(heartbeatInterval, jitterPercent, suspectAfterMissed);
    }

    private static Duration suspectAfter(Duration interval, int jitter, int missed) {
        return Duration.ofMillis(interval.toMillis() * missed * (100 + jitter) / 100);
    }
}
