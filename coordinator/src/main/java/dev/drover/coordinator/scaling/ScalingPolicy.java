package dev.drover.coordinator.scaling;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.scaling.ScalingDecision.Action;
import dev.drover.coordinator.scaling.ScalingDecision.DrainNode;
import dev.drover.coordinator.scaling.ScalingDecision.PoolOutcome;
import dev.drover.coordinator.scaling.ScalingDecision.SetCapacity;
import dev.drover.coordinator.scaling.ScalingSnapshot.NodeView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides how many nodes each pool should have and which nodes to drain. Pure: a snapshot in, a decision
 * out; no clock but the snapshot's, no I/O. The rules (DESIGN.md flows 1 and 4, issue 5):
 * <ul>
 * <li>demand per pool = ready + active tasks of the service keys it serves, never more than licences allow,
 * plus the tasks running on its own nodes when the queue counts those per pool (Tractor),
 * in slots, rounded up to nodes; a key goes to the first pool serving it whose offering is not backed off,
 * so a backed-off Spot pool's demand moves to its Regular fallback — unless the back-off ends before a node of a
 * dearer fallback could boot: then the pool waits it out (holds) rather than pay the fallback's price;
 * <li>target = demand within min/max and within the pool's and the farm's money caps; nodes already booting
 * count as capacity, so a slow boot is never asked for twice;
 * <li>scale in only idle nodes, idle longest first, idle for the idle window, at most 10 or the disruption
 * budget (10 %) if larger draining at once; busy nodes are never chosen (drain on completion);
 * <li>hold still when the queue is unknown, the pool is paused, or more than 20 % of it is unhealthy, lost or
 * failed to boot (circuit breaker).
 * </ul>
 */
public final class ScalingPolicy {
    static final int CIRCUIT_PERCENT = 20;
    /** Idle nodes drained at once at most (cluster-autoscaler's empty-node batch, peers.md §2). */
    static final int EMPTY_BATCH = 10;
    /**
     * How many times a node's paid overhead (boot + idle window) its share of short work should be, at least.
     * 1.5 (issue 17, BENCHMARKS.md "Simulator"): a quarter cheaper on the artist day than 1.0, for job p95 +3–4 min.
     */
    static final double WORK_HORIZON = 1.5;
    private static final int SECONDS = 0;
    private static final int LONGEST = 1;
    private static final int UNKNOWN = 2;
    private static final Set<NodeState> BOOTING = EnumSet.of(NodeState.PROVISIONING, NodeState.ENROLLING);
    private static final Set<NodeState> ACTIVE = EnumSet.of(NodeState.READY, NodeState.BUSY, NodeState.UNHEALTHY,
            NodeState.SUSPECT);
    private static final Set<NodeState> DRAINING = EnumSet.of(NodeState.DRAINING, NodeState.DRAINED);
    private static final Set<NodeState> BAD = EnumSet.of(NodeState.UNHEALTHY, NodeState.SUSPECT, NodeState.LOST);

    private ScalingPolicy() {
    }

    public static ScalingDecision decide(ScalingSnapshot s) {
        Map<String, double[]> work = new LinkedHashMap<>();
        Map<String, Integer> slots = assignDemand(s, work);
        List<Action> actions = new ArrayList<>();
        List<PoolOutcome> outcomes = new ArrayList<>();
        double farmBudget = s.farmMaxCostPerHour();
        for (PoolSpec pool : s.pools()) {
            List<NodeView> nodes = s.nodes().stream().filter(n -> n.pool().equals(pool.name())).toList();
            int booting = count(nodes, BOOTING);
            int active = count(nodes, ACTIVE);
            int draining = count(nodes, DRAINING);
            int current = active + booting;
            int demandSlots = slots.getOrDefault(pool.name(), 0);
            int demandNodes = (demandSlots + pool.slotsPerNode() - 1) / pool.slotsPerNode();
            String byWork = "";
            double[] w = work.get(pool.name());
            // only where tasks are shorter than a node's paid overhead: one slot per long task is right as it is
            if (w != null && w[UNKNOWN] == 0 && demandNodes > 0 && w[LONGEST] < overhead(s, pool)) {
                int workNodes = workNodes(s, pool, w);
                if (workNodes < demandNodes) {
                    byWork = " by work (" + Math.round(w[SECONDS] / 60) + " slot-min within "
                            + Math.round(horizon(s, pool, w) / 60) + " min; " + demandNodes + " by task count)";
                    demandNodes = workNodes;
                }
            }

            int target = Math.max(pool.minNodes(), Math.min(pool.maxNodes(), demandNodes));
            String capped = "";
            int byPoolCap = affordable(pool.maxCostPerHour(), pool.pricePerNodeHour());
            int byFarmCap = affordable(farmBudget, pool.pricePerNodeHour());
            if (byPoolCap < target) {
                target = byPoolCap;
                capped = "; capped by the pool's money cap";
            }
            if (byFarmCap < target) {
                target = byFarmCap;
                capped = "; capped by the farm's money cap";
            }
            farmBudget -= Math.max(target, current) * pool.pricePerNodeHour();

            String hold = holdReason(s, pool, nodes, current);
            String reason;
            if (hold != null) {
                reason = hold;
                target = current;
            } else if (target > current && backedOff(s, pool)) {
                reason = (waitsOut(s, pool) ? "waiting " + remainingBackoff(s, pool) + " s for the offering's back-off "
                        + "to end: less than a node of the dearer fallback takes to boot"
                        : "offering " + pool.offering() + " backed off for " + remainingBackoff(s, pool) + " s more, "
                                + "and no fallback pool takes its demand") + "; demand " + demandNodes + " node(s)"
                        + byWork;
                target = current;
            } else if (target > current) {
                reason = "scale out to " + target + ": demand " + demandNodes + " node(s)" + byWork + " ("
                        + demandSlots + " slot(s)), " + current + " present of which " + booting + " booting" + capped;
                actions.add(new SetCapacity(pool.name(), target, reason));
            } else if (target < current) {
                reason = scaleIn(s, pool, nodes, current, target, draining, actions) + capped;
            } else {
                reason = "at target " + target + ": demand " + demandNodes + " node(s)" + byWork + capped;
            }
            outcomes.add(new PoolOutcome(pool.name(), demandNodes, target, current, booting, draining,
                    (current + draining) * pool.pricePerNodeHour(), reason));
        }
        return new ScalingDecision(List.copyOf(actions), List.copyOf(outcomes));
    }

    private static String holdReason(ScalingSnapshot s, PoolSpec pool, List<NodeView> nodes, int current) {
        if (!s.queueKnown()) {
            return "queue unknown: holding at " + current + " node(s) rather than scaling on stale data";
        }
        if (s.pausedPools().contains(pool.name())) {
            return "paused by an operator: holding at " + current + " node(s)";
        }
        long bad = nodes.stream().filter(n -> BAD.contains(n.state()) || n.failedBoot()).count();
        long total = nodes.stream().filter(n -> n.state() != NodeState.GONE && n.state() != NodeState.DELETED).count();
        if (bad >= 2 && bad * 100 > CIRCUIT_PERCENT * total) {
            return "circuit open: " + bad + " of " + total + " node(s) unhealthy, lost or failed to boot; not scaling";
        }
        return null;
    }

    private static String scaleIn(ScalingSnapshot s, PoolSpec pool, List<NodeView> nodes, int current, int target,
            int draining, List<Action> actions) {
        int excess = current - target;
        // only idle nodes are drained, and they carry no work: up to EMPTY_BATCH at once, or the budget if larger
        int budget = Math.max(EMPTY_BATCH, (current + draining) * pool.disruptionBudgetPercent() / 100) - draining;
        java.time.Duration window = pool.idleWindow();
        List<NodeView> idle = nodes.stream()
                .filter(n -> n.state() == NodeState.READY && n.runningTasks() == 0 && n.idleSince() != null
                        && !n.idleSince().plus(window).isAfter(s.now()))
                .sorted(Comparator.comparing(NodeView::idleSince).thenComparing(NodeView::id))
                .toList();
        int drains = Math.max(0, Math.min(excess, Math.min(budget, idle.size())));
        for (int i = 0; i < drains; i++) {
            NodeView n = idle.get(i);
            actions.add(new DrainNode(pool.name(), n.id(), "scale-in: " + pool.name() + " above demand by " + excess
                    + "; idle since " + n.idleSince()));
        }
        if (drains == excess) {
            return "scale in to " + target + ": draining " + drains + " idle node(s)";
        }
        if (drains > 0) {
            return "scale in toward " + target + ": draining " + drains + " now (disruption budget " + budget
                    + ", idle for " + window.toMinutes() + "m: " + idle.size() + ")";
        }
        return "above demand by " + excess + ", but " + (budget <= 0 ? "the disruption budget is in use ("
                + draining + " draining)" : "no node has been idle for " + window.toMinutes() + "m");
    }

    /**
     * Service-key demand (licence-capped) given to the first eligible pool serving each key, in slots; and into
     * {@code work}, per pool, the estimated slot-seconds, longest task and whether any key lacked an estimate.
     */
    private static Map<String, Integer> assignDemand(ScalingSnapshot s, Map<String, double[]> work) {
        Map<String, Integer> slots = new LinkedHashMap<>(s.activeByPool());
        s.activeByPool().forEach((pool, n) -> work.computeIfAbsent(pool, k -> new double[3])[UNKNOWN] = 1);
        for (Map.Entry<String, Integer> e : s.demand().entrySet()) {
            String key = e.getKey().toLowerCase(java.util.Locale.ROOT);
            int wanted = Math.min(e.getValue(), s.licenceCaps().getOrDefault(key, Integer.MAX_VALUE));
            PoolSpec pool = s.pools().stream().filter(p -> p.serves(key)).findFirst().orElse(null);
            // follow fallbacks while the offering is backed off (at most once round the pool list)
            for (int hops = 0; pool != null && backedOff(s, pool) && !waitsOut(s, pool) && hops < s.pools().size();
                    hops++) {
                String fallback = pool.fallbackPool().orElse(null);
                pool = s.pools().stream().filter(p -> p.name().equals(fallback)).findFirst().orElse(null);
            }
            if (pool != null && wanted > 0) {
                slots.merge(pool.name(), wanted, Integer::sum);
                double[] w = work.computeIfAbsent(pool.name(), k -> new double[3]);
                ScalingSnapshot.KeyWork kw = s.work().byKey().get(key);
                if (kw == null || wanted < e.getValue()) { // unknown, or licence-capped: count tasks
                    w[UNKNOWN] = 1;
                } else {
                    w[SECONDS] += kw.readySeconds() + kw.activeRemainingSeconds();
                    w[LONGEST] = Math.max(w[LONGEST], kw.longestReadySeconds());
                }
            }
        }
        return slots;
    }

    /**
     * Nodes enough to finish the pool's estimated work within the horizon: a node asked for pays its boot and,
     * at the end, its idle window, so booting one for less work than that costs more than it saves.
     */
    private static int workNodes(ScalingSnapshot s, PoolSpec pool, double[] w) {
        double perNode = pool.slotsPerNode() * horizon(s, pool, w);
        return (int) Math.max(1, Math.ceil(w[SECONDS] / perNode - 1e-9));
    }

    /** The longest ready task, or a node's paid overhead times {@link #WORK_HORIZON}. */
    private static double horizon(ScalingSnapshot s, PoolSpec pool, double[] w) {
        return Math.max(Math.max(w[LONGEST], 60), WORK_HORIZON * overhead(s, pool));
    }

    /** What a node costs beyond its work: its boot and, at the end, its idle window, in seconds. */
    private static double overhead(ScalingSnapshot s, PoolSpec pool) {
        double boot = s.work().bootByPool().getOrDefault(pool.name(), java.time.Duration.ZERO).toSeconds();
        return boot + pool.idleWindow().toSeconds();
    }

    /**
     * Whether the pool's demand waits out its offering's back-off rather than move to its fallback: when the
     * fallback costs more per slot and the back-off ends before a fallback node could boot, the fallback node
     * would take work no sooner than a retried one here, at a higher price for all of its life.
     */
    private static boolean waitsOut(ScalingSnapshot s, PoolSpec pool) {
        PoolSpec fallback = pool.fallbackPool().flatMap(f -> s.pools().stream().filter(p -> p.name().equals(f))
                .findFirst()).orElse(null);
        if (fallback == null || fallback.pricePerNodeHour() / fallback.slotsPerNode()
                <= pool.pricePerNodeHour() / pool.slotsPerNode()) {
            return false;
        }
        long boot = s.work().bootByPool().getOrDefault(fallback.name(), java.time.Duration.ZERO).toSeconds();
        return remainingBackoff(s, pool) < boot;
    }

    private static long remainingBackoff(ScalingSnapshot s, PoolSpec pool) {
        var until = s.backedOffUntil().get(pool.offering());
        return until == null ? 0 : Math.max(0, java.time.Duration.between(s.now(), until).toSeconds());
    }

    private static boolean backedOff(ScalingSnapshot s, PoolSpec pool) {
        var until = s.backedOffUntil().get(pool.offering());
        return until != null && until.isAfter(s.now());
    }

    private static int affordable(double budget, double price) {
        if (price <= 0 || Double.isInfinite(budget)) {
            return Integer.MAX_VALUE;
        }
        return (int) Math.max(0, Math.floor(budget / price + 1e-9));
    }

    private static int count(List<NodeView> nodes, Set<NodeState> states) {
        return (int) nodes.stream().filter(n -> states.contains(n.state())).count();
    }
}
