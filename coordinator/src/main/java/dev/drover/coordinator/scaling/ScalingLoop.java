package dev.drover.coordinator.scaling;

import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
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
    private volatile ScalingJournal journal = ScalingJournal.NONE;
    private volatile Supplier<QueuedWork> work = () -> QueuedWork.NONE;
    /**
     * A node's time from request to taking work, for every pool, until boots are measured: Azure's typical
     * Spot scale-set boot plus enrolment (the simulator's reference pools use 4 ± 1 min, sim/README.md).
     */
    static final java.time.Duration TYPICAL_BOOT = java.time.Duration.ofMinutes(4);

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

    /** Where limits and decisions are kept across restarts. */
    public void setJournal(ScalingJournal journal) {
        this.journal = journal;
    }

    /**
     * Where the queue's work comes from (ready tasks per job, running tasks' elapsed time, finished runtimes),
     * so the policy sees the same runtime estimates live as in the simulator; without it, task counts only.
     */
    public void estimateFrom(Supplier<QueuedWork> work) {
        this.work = work;
    }

    /** Puts back the limits operators set and each pool's recent decisions, from before a restart. */
    public synchronized void restore(ScalingJournal.Remembered remembered) {
        remembered.limits().forEach((pool, l) -> applyLimits(pool, l.minNodes(), l.maxNodes()));
        remembered.decisions().forEach((pool, list) -> {
            java.util.ArrayDeque<Decision> h = history.computeIfAbsent(pool, k -> new java.util.ArrayDeque<>());
            list.stream().skip(Math.max(0, list.size() - HISTORY)).forEach(h::addLast);
        });
    }

    /** One round: snapshot, decide, publish. */
    public synchronized ScalingDecision tick() {
        QueueView q = queue.get();
        List<NodeView> nodes = new ArrayList<>();
        for (NodeSnapshot n : registry.snapshot()) {
            nodes.add(ScalingInputs.view(n));
        }
        ScalingDecision d = ScalingPolicy.decide(ScalingInputs.snapshot(clock.instant(), q, nodes,
                provisioning.bootingViews(), licences, pools, provisioning.backedOff(), provisioning.paused(),
                farmMaxCostPerHour, ScalingInputs.work(work.get(), boot())));
        for (ScalingDecision.PoolOutcome p : d.pools()) {
            java.util.ArrayDeque<Decision> h = history.computeIfAbsent(p.pool(), k -> new java.util.ArrayDeque<>());
            if (h.isEmpty() || !h.peekLast().reason().equals(p.reason())) {
                if (h.size() == HISTORY) {
                    h.removeFirst();
                }
                h.addLast(new Decision(clock.instant(), p.target(), p.current(), p.reason()));
                journal.decided(p.pool(), h.peekLast(), HISTORY);
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

    private Map<String, java.time.Duration> boot() {
        Map<String, java.time.Duration> boot = new HashMap<>();
        pools.forEach(p -> boot.put(p.name(), TYPICAL_BOOT));
        return boot;
    }

    /**
     * Operator: new node bounds for a pool, in force from the next round and kept across restarts, where they
     * take precedence over the config file's values (set them again here to change them).
     */
    public synchronized boolean setLimits(String pool, int minNodes, int maxNodes) {
        boolean found = pools.stream().anyMatch(p -> p.name().equals(pool));
        if (found) {
            journal.limits(pool, minNodes, maxNodes, clock.instant());
            applyLimits(pool, minNodes, maxNodes);
        }
        return found;
    }

    private void applyLimits(String pool, int minNodes, int maxNodes) {
        List<PoolSpec> updated = new ArrayList<>();
        for (PoolSpec p : pools) {
            updated.add(p.name().equals(pool) ? p.withLimits(minNodes, maxNodes) : p);
        }
        pools = List.copyOf(updated);
    }

    /**
     * When the node last stopped working: its Ready time, or its last task's end if later — a task shorter than
     * a heartbeat interval never shows as Busy, but the node was not idle while it ran.
     */
    static java.time.Instant idleSince(NodeSnapshot n) {
        return ScalingInputs.idleSince(n);
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
