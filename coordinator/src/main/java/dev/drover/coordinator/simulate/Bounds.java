package dev.drover.coordinator.simulate;

import java.util.List;

/**
 * What no policy can beat on a trace. Cost: every task-hour at the cheapest price per slot-hour of a pool
 * serving its key (no boot, no idle, no eviction). Makespan (from the first submit): the latest of each task's
 * submit + runtime (a node may already be up), the first task's shortest boot (none where a pool keeps warm
 * nodes) + runtime, and the shortest boot + all work spread over every slot of every pool at its maximum.
 */
public record Bounds(double cost, double makespanSeconds) {

    public static Bounds of(Trace trace, List<SimPool> pools) {
        double cost = 0;
        double first = trace.tasks().get(0).submitSeconds();
        double latest = 0;
        for (Trace.Task t : trace.tasks()) {
            List<SimPool> eligible = pools.stream().filter(p -> p.spec().serves(t.service())).toList();
            if (eligible.isEmpty()) {
                throw new IllegalArgumentException("no pool serves service key '" + t.service() + "' of job "
                        + t.job());
            }
            cost += t.runtimeSeconds() / 3600 * eligible.stream()
                    .mapToDouble(p -> p.spec().pricePerNodeHour() / p.spec().slotsPerNode()).min().orElseThrow();
            double boot = t.submitSeconds() == first ? boot(eligible) : 0;
            latest = Math.max(latest, t.submitSeconds() + boot + t.runtimeSeconds() - first);
        }
        int slots = pools.stream().mapToInt(p -> p.spec().maxNodes() * p.spec().slotsPerNode()).sum();
        double spread = boot(pools) + trace.taskSeconds() / Math.max(1, slots);
        return new Bounds(cost, Math.max(latest, spread));
    }

    private static double boot(List<SimPool> pools) {
        return pools.stream().mapToDouble(p -> p.spec().minNodes() > 0 ? 0 : SimModel.minBoot(p)).min().orElse(0);
    }
}
