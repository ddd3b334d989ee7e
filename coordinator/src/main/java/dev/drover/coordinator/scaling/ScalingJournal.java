package dev.drover.coordinator.scaling;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Where the scaling loop keeps operator limits and its recent decisions across coordinator restarts. */
public interface ScalingJournal {

    ScalingJournal NONE = new ScalingJournal() {
    };

    /** A pool's decision whose reason differs from the one before; the journal keeps the last {@code keep}. */
    default void decided(String pool, ScalingLoop.Decision decision, int keep) {
    }

    default void limits(String pool, int minNodes, int maxNodes, Instant at) {
    }

    record Limits(int minNodes, int maxNodes) {
    }

    /** Per pool, the limits an operator set and the recent decisions, oldest first. */
    record Remembered(Map<String, Limits> limits, Map<String, List<ScalingLoop.Decision>> decisions) {
        public Remembered {
            limits = Map.copyOf(limits);
            decisions = Map.copyOf(decisions);
        }
    }
}
