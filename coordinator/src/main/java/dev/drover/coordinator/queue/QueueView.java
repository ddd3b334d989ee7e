package dev.drover.coordinator.queue;

import java.util.Map;

/**
 * What the scaler reads from a queue (Tractor or the built-in one): ready and active tasks per service key
 * (lower-case), or why the queue is unknown, in which case the scaler holds still.
 */
public record QueueView(boolean known, Map<String, Counts> counts, String reason, Map<String, Integer> licenceCaps) {

    public QueueView(boolean known, Map<String, Counts> counts, String reason) {
        this(known, counts, reason, Map.of());
    }

    /** @param licenceCaps most tasks that can run at once per service key, as the render manager limits them */
    public QueueView {
        counts = Map.copyOf(counts);
        licenceCaps = Map.copyOf(licenceCaps);
    }

    public static QueueView unknown(String reason) {
        return new QueueView(false, Map.of(), reason);
    }

    /** Tasks waiting for a slot and tasks running, for one service key. */
    public record Counts(int ready, int active) {
        public Counts plus(Counts o) {
            return new Counts(ready + o.ready, active + o.active);
        }
    }
}
