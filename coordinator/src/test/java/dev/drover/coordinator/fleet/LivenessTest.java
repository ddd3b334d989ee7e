package dev.drover.coordinator.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LivenessTest {
    private static final LivenessSettings SETTINGS = new LivenessSettings(Duration.ofSeconds(5), 20, 3,
            Duration.ofSeconds(60));
    private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

    @Test
    void suspectWindowAllowsEachMissedBeatItsLongestJitter() {
        assertThat(SETTINGS.suspectAfter()).isEqualTo(Duration.ofSeconds(18));
    }

    @Test
    void readyNodeStaysReadyInsideTheSuspectWindow() {
        assertThat(Liveness.evaluate(NodeState.READY, T0, T0.plusSeconds(18), SETTINGS)).isEmpty();
    }

    @Test
    void readyNodeBecomesSuspectAfterThreeMissedBeats() {
        var decision = Liveness.evaluate(NodeState.BUSY, T0, T0.plusMillis(18_001), SETTINGS);
        assertThat(decision).hasValueSatisfying(d -> {
            assertThat(d.to()).isEqualTo(NodeState.SUSPECT);
            assertThat(d.reason()).contains("no heartbeat for 18001 ms (3 missed)");
        });
    }

    @Test
    void aNodeNotHeardFromSinceARestartKeepsItsStateForTheLostTimeThenIsLost() {
        for (NodeState s : new NodeState[] {NodeState.READY, NodeState.BUSY, NodeState.DRAINING, NodeState.DRAINED}) {
            assertThat(Liveness.evaluate(s, T0, T0.plusSeconds(60), SETTINGS, true)).as(s.name()).isEmpty();
            assertThat(Liveness.evaluate(s, T0, T0.plusSeconds(61), SETTINGS, true)).as(s.name())
                    .hasValueSatisfying(d -> {
                        assertThat(d.to()).isEqualTo(NodeState.SUSPECT);
                        assertThat(d.reason()).contains("since the coordinator restarted");
                    });
        }
        assertThat(Liveness.evaluate(NodeState.SUSPECT, T0, T0.plusSeconds(61), SETTINGS, true))
                .hasValueSatisfying(d -> assertThat(d.to()).isEqualTo(NodeState.LOST));
        assertThat(Liveness.evaluate(NodeState.LOST, T0, T0.plusSeconds(600), SETTINGS, true)).isEmpty();
        assertThat(Liveness.evaluate(NodeState.EVICTING, T0, T0.plusSeconds(61), SETTINGS, true))
                .hasValueSatisfying(d -> assertThat(d.to()).isEqualTo(NodeState.GONE));
    }

    @Test
    void suspectBecomesLostAfterTheLostWindowOnly() {
        assertThat(Liveness.evaluate(NodeState.SUSPECT, T0, T0.plusSeconds(60), SETTINGS)).isEmpty();
        assertThat(Liveness.evaluate(NodeState.SUSPECT, T0, T0.plusSeconds(61), SETTINGS))
                .hasValueSatisfying(d -> assertThat(d.to()).isEqualTo(NodeState.LOST));
    }

    @Test
    void lostAndDeletedNodesAreLeftAlone() {
        assertThat(Liveness.evaluate(NodeState.LOST, T0, T0.plusSeconds(3600), SETTINGS)).isEmpty();
        assertThat(Liveness.evaluate(NodeState.DELETED, T0, T0.plusSeconds(3600), SETTINGS)).isEmpty();
        assertThat(Liveness.evaluate(NodeState.GONE, T0, T0.plusSeconds(3600), SETTINGS)).isEmpty();
    }

    @Test
    void silentEvictingNodeIsGoneNotSuspect() {
        assertThat(Liveness.evaluate(NodeState.EVICTING, T0, T0.plusSeconds(30), SETTINGS)).isEmpty();
        assertThat(Liveness.evaluate(NodeState.EVICTING, T0, T0.plusSeconds(61), SETTINGS))
                .hasValueSatisfying(d -> assertThat(d.to()).isEqualTo(NodeState.GONE));
    }

    @Test
    void lostWindowMustExceedSuspectWindow() {
        assertThatThrownBy(() -> new LivenessSettings(Duration.ofSeconds(5), 20, 3, Duration.ofSeconds(18)))
                .hasMessageContaining("liveness.lostAfterMillis");
    }

    @Test
    void everyStateCanBeLeftAndNoStateMovesToItself() {
        for (NodeState s : NodeState.values()) {
            assertThat(s.canMoveTo(s)).as(s.name()).isFalse();
            assertThat(java.util.Arrays.stream(NodeState.values()).anyMatch(s::canMoveTo)).as(s.name()).isTrue();
        }
        assertThat(NodeState.DELETED.canMoveTo(NodeState.READY)).isFalse();
        assertThat(NodeState.DRAINED.canMoveTo(NodeState.BUSY)).as("a drained node takes no work").isFalse();
    }
}
