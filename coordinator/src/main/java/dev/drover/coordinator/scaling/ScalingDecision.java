package dev.drover.coordinator.scaling;

import java.util.List;

/** What the policy wants done, and per pool the numbers and the one reason behind them. */
public record ScalingDecision(List<Action> actions, List<PoolOutcome> pools) {

    /** An action for the orchestration to carry out. */
    public sealed interface Action permits SetCapacity, DrainNode {
        String pool();

        String reason();
    }

    /**
     * Grow the pool to {@code target} working nodes; the actuator adds the instances that are on their way
     * out (draining, evicting, lost), which still exist in the scale set.
     */
    public record SetCapacity(String pool, int target, String reason) implements Action {
    }

    /** Drain this very node (drain on completion), to delete its instance afterwards. */
    public record DrainNode(String pool, String nodeId, String reason) implements Action {
    }

    /** The pool's line in {@code GET /api/pools}. */
    public record PoolOutcome(String pool, int demandNodes, int target, int current, int booting, int draining,
            double costPerHour, String reason) {
    }
}
