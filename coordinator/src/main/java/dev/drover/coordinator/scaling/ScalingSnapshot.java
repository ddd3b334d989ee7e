package dev.drover.coordinator.scaling;

import dev.drover.coordinator.fleet.NodeState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a scaling decision reads, copied at one instant: the queue, the pools, the nodes, what is backed
 * off, paused or licence-limited. No I/O happens while deciding, so the live coordinator, tests and a
 * simulator all call the same {@link ScalingPolicy} with their own snapshots.
 *
 * @param queueKnown false while the queue source (Tractor) is failing: the policy then holds still
 * @param demand ready + active tasks per service key (lower-case)
 * @param licenceCaps most tasks that can run at once per service key (Tractor limits, renderer licences)
 * @param backedOffUntil offerings that recently failed to allocate or were evicted heavily
 * @param farmMaxCostPerHour money cap for all pools together
 * @param activeByPool tasks running on each pool's own live nodes, counted as that pool's demand on top of
 *     {@code demand} (Tractor: active tasks on Drover's blades, never on on-prem ones or on dead nodes)
 */
public record ScalingSnapshot(Instant now, boolean queueKnown, Map<String, Integer> demand,
        Map<String, Integer> licenceCaps, List<PoolSpec> pools, List<NodeView> nodes,
        Map<String, Instant> backedOffUntil, Set<String> pausedPools, double farmMaxCostPerHour,
        Map<String, Integer> activeByPool, Work work) {

    public ScalingSnapshot(Instant now, boolean queueKnown, Map<String, Integer> demand,
            Map<String, Integer> licenceCaps, List<PoolSpec> pools, List<NodeView> nodes,
            Map<String, Instant> backedOff, Set<String> pausedPools, double farmMaxCostPerHour,
            Map<String, Integer> activeByPool) {
        this(now, queueKnown, demand, licenceCaps, pools, nodes, backedOff, pausedPools, farmMaxCostPerHour,
                activeByPool, Work.NONE);
    }

    public ScalingSnapshot(Instant now, boolean queueKnown, Map<String, Integer> demand,
            Map<String, Integer> licenceCaps, List<PoolSpec> pools, List<NodeView> nodes,
            Map<String, Instant> backedOffUntil, Set<String> pausedPools, double farmMaxCostPerHour) {
        this(now, queueKnown, demand, licenceCaps, pools, nodes, backedOffUntil, pausedPools, farmMaxCostPerHour,
                Map.of());
    }

    /**
     * What the queue's work is expected to take, where it can be estimated (progress ETAs, the job's finished
     * tasks); a key without an estimate is scaled by task count alone.
     *
     * @param byKey per service key (lower-case)
     * @param bootByPool how long a node of the pool takes from request to taking work (typical)
     */
    public record Work(Map<String, KeyWork> byKey, Map<String, java.time.Duration> bootByPool) {
        public static final Work NONE = new Work(Map.of(), Map.of());

        public Work {
            byKey = Map.copyOf(byKey);
            bootByPool = Map.copyOf(bootByPool);
        }
    }

    /**
     * Estimated work of one service key, in slot-seconds.
     *
     * @param readySeconds the ready tasks' runtimes, summed
     * @param longestReadySeconds the longest ready task
     * @param activeRemainingSeconds what the running tasks still have to do, summed
     */
    public record KeyWork(double readySeconds, double longestReadySeconds, double activeRemainingSeconds) {
    }

    /**
     * One node as scaling sees it.
     *
     * @param idleSince when it last stopped running tasks; null while busy
     * @param failedBoot a node that was asked for but never enrolled
     */
    public record NodeView(String id, String pool, NodeState state, int runningTasks, Instant idleSince,
            boolean failedBoot) {
    }
}
