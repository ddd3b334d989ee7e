package dev.drover.coordinator.simulate;

import java.util.List;
import java.util.Locale;

/** The text table: each policy's outcome on one trace against the bounds. */
public final class Report {

    private Report() {
    }

    public static String table(Trace trace, Bounds bounds, List<SimResult> results) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "trace %s: %d tasks, %.1f task-hours, %d jobs%n", trace.name(),
                trace.tasks().size(), trace.taskSeconds() / 3600,
                trace.tasks().stream().map(Trace.Task::job).distinct().count()));
        b.append(String.format(Locale.ROOT, "%-13s %9s %6s %30s %9s %6s %16s %13s %6s %6s%n", "policy", "cost $",
                "xLB", "node-h busy/boot/idle/drain", "makespan", "xLB", "job p50/p95 min", "lost task-h",
                "evict", "nodes"));
        for (SimResult r : results) {
            var h = r.nodeHours();
            b.append(String.format(Locale.ROOT, "%-13s %9.2f %6.2f %30s %8.2fh %6.2f %16s %13s %6d %6d%n",
                    r.policy(), r.cost(), r.cost() / bounds.cost(),
                    String.format(Locale.ROOT, "%.1f/%.1f/%.1f/%.1f", h.get(SimResult.Bucket.BUSY),
                            h.get(SimResult.Bucket.BOOTING), h.get(SimResult.Bucket.IDLE),
                            h.get(SimResult.Bucket.DRAINING)),
                    r.makespanSeconds() / 3600, r.makespanSeconds() / bounds.makespanSeconds(),
                    String.format(Locale.ROOT, "%.0f/%.0f", r.jobCompletionPercentile(0.5) / 60,
                            r.jobCompletionPercentile(0.95) / 60),
                    String.format(Locale.ROOT, "%.2f (%.1f%%)", r.lostTaskHours(),
                            100 * r.lostTaskHours() / r.taskHours()),
                    r.evictions(), r.nodesRequested()));
        }
        b.append(String.format(Locale.ROOT, "%-13s %9.2f %6.2f %30s %8.2fh %6.2f%n", "lower bound", bounds.cost(), 1.0,
                "", bounds.makespanSeconds() / 3600, 1.0));
        return b.toString();
    }
}
