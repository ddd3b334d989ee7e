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
        Map<String, Integer> activeByPool) {

    public ScalingSnapshot(Instant now, boolean queueKnown, Map<String, Integer> demand,
            Map<String, Integer> licenceCaps, List<PoolSpec> pools, List<NodeView> nodes,
            Map<String, Instant> backedOffUntil, Set<String> pausedPools, double farmMaxCostPerHour) {
        this(now, queueKnown, demand, licenceCaps, pools, nodes, backedOffUntil, pausedPools, farmMaxCostPerHour,
                Map.of());
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
