package dev.drover.coordinator.scaling;

import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.scaling.ScalingSnapshot.NodeView;
import dev.drover.coordinator.tractor.TractorClient;
import dev.drover.coordinator.tractor.TractorQueueSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the scaling policy once a second on a fresh snapshot of the queue and the fleet, and keeps the latest
 * decision for {@code GET /api/pools}. It does not act yet: no scale-set client exists, so decisions are
 * published as planned actions and logged when a pool's reason changes.
 */
public final class ScalingLoop {
    private static final Logger LOGGER = LoggerFactory.getLogger(ScalingLoop.class);

    private final List<PoolSpec> pools;
    private final Map<String, Integer> licences;
    private final double farmMaxCostPerHour;
    private final NodeRegistry registry;
    private final Supplier<TractorQueueSource.View> queue;
    private final Clock clock;
    private final Map<String, String> lastReasons = new HashMap<>();
    private volatile ScalingDecision last = new ScalingDecision(List.of(), List.of());
    private volatile TractorQueueSource.View lastQueue = new TractorQueueSource.View(false, Map.of(), "not polled yet");

    public ScalingLoop(List<PoolSpec> pools, Map<String, Integer> licences, double farmMaxCostPerHour,
            NodeRegistry registry, Supplier<TractorQueueSource.View> queue, Clock clock) {
        this.pools = List.copyOf(pools);
        this.licences = licences;
        this.farmMaxCostPerHour = farmMaxCostPerHour;
        this.registry = registry;
        this.queue = queue;
        this.clock = clock;
    }

    /** One round: snapshot, decide, publish. */
    public synchronized ScalingDecision tick() {
        TractorQueueSource.View q = queue.get();
        Map<String, Integer> demand = new HashMap<>();
        for (Map.Entry<String, TractorClient.Counts> e : q.counts().entrySet()) {
            demand.put(e.getKey(), e.getValue().ready() + e.getValue().active());
        }
        List<NodeView> nodes = new ArrayList<>();
        for (NodeSnapshot n : registry.snapshot()) {
            int running = n.lastHeartbeat() != null ? n.lastHeartbeat().runningTasks() : 0;
            boolean idle = n.state() == NodeState.READY && running == 0;
            nodes.add(new NodeView(n.id(), n.identity() != null ? n.identity().pool() : "", n.state(), running,
                    idle ? n.stateSince() : null, false));
        }
        ScalingDecision d = ScalingPolicy.decide(new ScalingSnapshot(clock.instant(), q.known(), demand, licences,
                pools, nodes, Map.of(), Set.of(), farmMaxCostPerHour));
        for (ScalingDecision.PoolOutcome p : d.pools()) {
            if (!p.reason().equals(lastReasons.put(p.pool(), p.reason()))) {
                LOGGER.atInfo().addKeyValue("pool", p.pool()).addKeyValue("target", p.target())
                        .addKeyValue("current", p.current()).log("scaling decision: " + p.reason());
            }
        }
        last = d;
        lastQueue = q;
        return d;
    }

    public ScalingDecision last() {
        return last;
    }

    public TractorQueueSource.View lastQueue() {
        return lastQueue;
    }
}
