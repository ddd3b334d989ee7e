package dev.drover.coordinator.queue;

import java.util.Map;

/**
 * What the scaler reads from a queue (Tractor or the built-in one): ready and active tasks per service key
 * (lower-case; for Tractor a key expression, see tractor/ServiceKeyExpression), or why the queue is unknown, in
 * which case the scaler holds still.
 *
 * @param licenceCaps most tasks that can run at once per service key, as the render manager limits them
 * @param ownActiveByPool null when the per-key active counts are all Drover's own work (the built-in queue);
 *     otherwise (Tractor, whose farm also has on-prem blades) the tasks active on each pool's live nodes, which
 *     are then the only active tasks that count as demand — the per-key active counts are farm-wide, for display
 */
public record QueueView(boolean known, Map<String, Counts> counts, String reason, Map<String, Integer> licenceCaps,
        Map<String, Integer> ownActiveByPool) {

    public QueueView(boolean known, Map<String, Counts> counts, String reason) {
        this(known, counts, reason, Map.of(), null);
    }

    public QueueView(boolean known, Map<String, Counts> counts, String reason, Map<String, Integer> licenceCaps) {
        this(known, counts, reason, licenceCaps, null);
    }

    public QueueView {
        counts = Map.copyOf(counts);
        licenceCaps = Map.copyOf(licenceCaps);
        ownActiveByPool = ownActiveByPool == null ? null : Map.copyOf(ownActiveByPool);
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
