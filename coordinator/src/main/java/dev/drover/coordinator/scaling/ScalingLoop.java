package dev.drover.coordinator.scaling;

import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.provision.Provisioning;
import dev.drover.coordinator.queue.QueueView;
import dev.drover.coordinator.scaling.ScalingSnapshot.NodeView;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the scaling policy once a second on a fresh snapshot of the queue, the fleet and the scale sets, hands
 * the decision to {@link Provisioning} to carry out, and keeps it for {@code GET /api/pools}. A pool's
 * decision is logged (and put on the timeline) whenever its reason changes.
 */
public final class ScalingLoop {
    private static final Logger LOGGER = LoggerFactory.getLogger(ScalingLoop.class);

    private volatile List<PoolSpec> pools;
    private final Map<String, Integer> licences;
    private final double farmMaxCostPerHour;
    private final NodeRegistry registry;
    private final Supplier<QueueView> queue;
    private final Provisioning provisioning;
    private final Clock clock;
    /** Per pool, the decisions whose reason differed from the one before, newest last. */
    private final Map<String, java.util.ArrayDeque<Decision>> history = new HashMap<>();
    private volatile java.time.Instant decidedAt;

    /** A pool's decision at one moment, kept when its reason changed. */
    public record Decision(java.time.Instant at, int target, int current, String reason) {
    }

    static final int HISTORY = 50;
    private volatile ScalingDecision last = new ScalingDecision(List.of(), List.of());
    private volatile QueueView lastQueue = new QueueView(false, Map.of(), "not polled yet");

    public ScalingLoop(List<PoolSpec> pools, Map<String, Integer> licences, double farmMaxCostPerHour,
            NodeRegistry registry, Supplier<QueueView> queue, Provisioning provisioning, Clock clock) {
        this.provisioning = provisioning;
        this.pools = List.copyOf(pools);
        this.licences = licences;
        this.farmMaxCostPerHour = farmMaxCostPerHour;
        this.registry = registry;
        this.queue = queue;
        this.clock = clock;
    }

    /** One round: snapshot, decide, publish. */
    public synchronized ScalingDecision tick() {
        QueueView q = queue.get();
        Map<String, Integer> demand = new HashMap<>();
        boolean activePerPool = q.ownActiveByPool() != null; // Tractor: only work on Drover's own live blades
        for (Map.Entry<String, QueueView.Counts> e : q.counts().entrySet()) {
            demand.put(e.getKey(), e.getValue().ready() + (activePerPool ? 0 : e.getValue().active()));
        }
        List<NodeView> nodes = new ArrayList<>();
        for (NodeSnapshot n : registry.snapshot()) {
            int running = n.lastHeartbeat() != null ? n.lastHeartbeat().runningTasks() : 0;
            boolean idle = n.state() == NodeState.READY && running == 0 && n.runningTasks().isEmpty();
            nodes.add(new NodeView(n.id(), n.identity() != null ? n.identity().pool() : "", n.state(), running,
                    idle ? idleSince(n) : null, false));
        }
        nodes.addAll(provisioning.bootingViews());
        Map<String, Integer> caps = new HashMap<>(); // config caps and the render manager's, the lower of the two
        licences.forEach((key, max) -> caps.merge(key.toLowerCase(java.util.Locale.ROOT), max, Math::min));
        q.licenceCaps().forEach((key, max) -> caps.merge(key, max, Math::min));
        if (activePerPool) { // licences held by running tasks anywhere in the farm are not free for new ones
            caps.replaceAll((key, max) -> Math.max(0, max - q.counts().getOrDefault(key,
                    new QueueView.Counts(0, 0)).active()));
        }
        ScalingDecision d = ScalingPolicy.decide(new ScalingSnapshot(clock.instant(), q.known(), demand, caps,
                pools, nodes, provisioning.backedOff(), provisioning.paused(), farmMaxCostPerHour,
                activePerPool ? q.ownActiveByPool() : Map.of()));
        for (ScalingDecision.PoolOutcome p : d.pools()) {
            java.util.ArrayDeque<Decision> h = history.computeIfAbsent(p.pool(), k -> new java.util.ArrayDeque<>());
            if (h.isEmpty() || !h.peekLast().reason().equals(p.reason())) {
                if (h.size() == HISTORY) {
                    h.removeFirst();
                }
                h.addLast(new Decision(clock.instant(), p.target(), p.current(), p.reason()));
                LOGGER.atInfo().addKeyValue("pool", p.pool()).addKeyValue("target", p.target())
                        .addKeyValue("current", p.current()).log("scaling decision: " + p.reason());
            }
        }
        last = d;
        lastQueue = q;
        decidedAt = clock.instant();
        provisioning.apply(d);
        return d;
    }

    /**
     * Operator: new node bounds for a pool, in force from the next round (until the coordinator restarts; the
     * config file keeps the standing values).
     */
    public synchronized boolean setLimits(String pool, int minNodes, int maxNodes) {
        List<PoolSpec> updated = new ArrayList<>();
        boolean found = false;
        for (PoolSpec p : pools) {
            found |= p.name().equals(pool);
            updated.add(p.name().equals(pool) ? p.withLimits(minNodes, maxNodes) : p);
        }
        pools = List.copyOf(updated);
        return found;
    }

    /**
     * When the node last stopped working: its Ready time, or its last task's end if later — a task shorter than
     * a heartbeat interval never shows as Busy, but the node was not idle while it ran.
     */
    static java.time.Instant idleSince(NodeSnapshot n) {
        java.time.Instant since = n.stateSince();
        for (dev.drover.coordinator.fleet.TaskView t : n.recentTasks()) {
            if (t.finishedAt() != null && t.finishedAt().isAfter(since)) {
                since = t.finishedAt();
            }
        }
        return since;
    }

    /** The pool's recent decisions (each reason change), oldest first. */
    public synchronized List<Decision> history(String pool) {
        java.util.ArrayDeque<Decision> h = history.get(pool);
        return h == null ? List.of() : List.copyOf(h);
    }

    public java.util.Optional<PoolSpec> spec(String pool) {
        return pools.stream().filter(p -> p.name().equals(pool)).findFirst();
    }

    public java.time.Instant decidedAt() {
        return decidedAt;
    }

    public ScalingDecision last() {
        return last;
    }

    public QueueView lastQueue() {
        return lastQueue;
    }
}
