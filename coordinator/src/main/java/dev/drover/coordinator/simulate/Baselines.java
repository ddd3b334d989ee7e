package dev.drover.coordinator.simulate;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The peers' autoscalers as their defaults describe them (specs/peers.md §2, §1.3, §1.8). Each scales only the
 * first pool serving a key (no Spot→Regular fallback) and never knows runtimes; they differ in loop period,
 * how demand becomes a target, and when an idle node goes.
 */
public final class Baselines {

    private Baselines() {
    }

    /** Ready + running tasks per pool in slots, each key given to the first pool serving it. */
    static Map<SimPool, Integer> demandSlots(SimModel m, boolean withRunning) {
        Map<SimPool, Integer> slots = new HashMap<>();
        Map<String, Integer> running = m.runningByKey();
        java.util.Set<String> keys = new java.util.TreeSet<>(m.readyByKey().keySet());
        keys.addAll(running.keySet());
        for (String key : keys) {
            int n = m.readyByKey().getOrDefault(key, 0) + (withRunning ? running.getOrDefault(key, 0) : 0);
            m.pools().stream().filter(p -> p.spec().serves(key)).findFirst()
                    .ifPresent(p -> slots.merge(p, n, Integer::sum));
        }
        return slots;
    }

    static int nodesFor(int slots, SimPool p) {
        int spn = p.spec().slotsPerNode();
        return Math.max(p.spec().minNodes(), Math.min(p.spec().maxNodes(), (slots + spn - 1) / spn));
    }

    static List<SimModel.Node> nodesOf(SimModel m, SimPool p) {
        return m.liveNodes().stream().filter(n -> n.pool == p).toList();
    }

    /**
     * Azure CycleCloud with scalelib (the Tractor/HPC pattern): every 15 s, allocate nodes for ready and running
     * tasks; terminate any node idle for 300 s.
     */
    public static final class Scalelib implements SimPolicy {
        static final double IDLE_TIMEOUT = 300;

        @Override
        public String name() {
            return "scalelib";
        }

        @Override
        public double intervalSeconds() {
            return 15;
        }

        @Override
        public void tick(SimModel m) {
            Map<SimPool, Integer> demand = demandSlots(m, true);
            for (SimPool p : m.pools()) {
                m.scaleOut(p.name(), nodesFor(demand.getOrDefault(p, 0), p));
                long up = nodesOf(m, p).stream().filter(n -> n.state != SimModel.State.DRAINING).count();
                for (SimModel.Node n : nodesOf(m, p)) {
                    if (n.state == SimModel.State.UP && n.runs.isEmpty() && m.now() - n.idleSince >= IDLE_TIMEOUT
                            && up > p.spec().minNodes()) {
                        m.drain(n.id);
                        up--;
                    }
                }
            }
        }
    }

    /**
     * Kubernetes cluster-autoscaler: every 10 s, add nodes for pending tasks that fit on no existing or booting
     * node; remove a node empty ("unneeded") for 10 min, none within 10 min of a scale-up, at most 10 empty
     * nodes per loop.
     */
    public static final class Autoscaler implements SimPolicy {
        static final double UNNEEDED = 600;
        static final double DELAY_AFTER_ADD = 600;
        static final int EMPTY_BULK = 10;
        private final Map<SimPool, Double> lastAdd = new HashMap<>();

        @Override
        public String name() {
            return "autoscaler";
        }

        @Override
        public double intervalSeconds() {
            return 10;
        }

        @Override
        public void tick(SimModel m) {
            Map<SimPool, Integer> pending = demandSlots(m, false);
            for (SimPool p : m.pools()) {
                List<SimModel.Node> nodes = nodesOf(m, p);
                int freeSlots = 0;
                int working = 0;
                for (SimModel.Node n : nodes) {
                    if (n.state == SimModel.State.BOOTING) {
                        freeSlots += p.spec().slotsPerNode();
                        working++;
                    } else if (n.state == SimModel.State.UP) {
                        freeSlots += n.freeSlots();
                        working++;
                    }
                }
                int unschedulable = pending.getOrDefault(p, 0) - freeSlots;
                if (unschedulable > 0) {
                    int add = (unschedulable + p.spec().slotsPerNode() - 1) / p.spec().slotsPerNode();
                    m.scaleOut(p.name(), Math.min(p.spec().maxNodes(), working + add));
                    lastAdd.put(p, m.now());
                } else if (working < p.spec().minNodes()) {
                    m.scaleOut(p.name(), p.spec().minNodes());
                }
                if (m.now() - lastAdd.getOrDefault(p, Double.NEGATIVE_INFINITY) < DELAY_AFTER_ADD) {
                    continue;
                }
                int removed = 0;
                for (SimModel.Node n : nodes) {
                    if (removed < EMPTY_BULK && working > p.spec().minNodes() && n.state == SimModel.State.UP
                            && n.runs.isEmpty() && m.now() - n.idleSince >= UNNEEDED) {
                        m.drain(n.id);
                        removed++;
                        working--;
                    }
                }
            }
        }
    }

    /**
     * Azure Batch autoscale, the documented sample formula: every 5 min, target = max(latest, 15-minute average)
     * of pending (active + running) tasks, in nodes; with no pending task, half the current target; removal with
     * {@code taskcompletion} (idle nodes first, busy ones finish their task). Samples every 30 s.
     */
    public static final class Batch implements SimPolicy {
        static final double EVALUATE = 300;
        static final double SAMPLE = 30;
        static final int WINDOW = 30; // 15 min of 30 s samples
        private final Map<SimPool, Deque<Integer>> samples = new HashMap<>();
        private final Map<SimPool, Integer> targets = new HashMap<>();
        private double nextEvaluation = Double.NEGATIVE_INFINITY;

        @Override
        public String name() {
            return "batch";
        }

        @Override
        public double intervalSeconds() {
            return SAMPLE;
        }

        @Override
        public void tick(SimModel m) {
            Map<SimPool, Integer> pending = demandSlots(m, true);
            for (SimPool p : m.pools()) {
                Deque<Integer> s = samples.computeIfAbsent(p, k -> new ArrayDeque<>());
                s.addLast(pending.getOrDefault(p, 0));
                if (s.size() > WINDOW) {
                    s.removeFirst();
                }
            }
            if (m.now() < nextEvaluation) {
                return;
            }
            nextEvaluation = m.now() + EVALUATE;
            for (SimPool p : m.pools()) {
                Deque<Integer> s = samples.get(p);
                double avg = s.stream().mapToInt(Integer::intValue).average().orElse(0);
                int tasks = (int) Math.ceil(Math.max(s.peekLast(), avg));
                int target = tasks > 0 ? nodesFor(tasks, p)
                        : Math.max(p.spec().minNodes(), targets.getOrDefault(p, 0) / 2);
                targets.put(p, target);
                m.scaleOut(p.name(), target);
                List<SimModel.Node> working = nodesOf(m, p).stream()
                        .filter(n -> n.state != SimModel.State.DRAINING).toList();
                int excess = working.size() - target;
                for (SimModel.Node n : working) { // idle (and booting) first
                    if (excess > 0 && n.runs.isEmpty()) {
                        m.drain(n.id);
                        excess--;
                    }
                }
                for (SimModel.Node n : working) { // then busy ones, on task completion
                    if (excess > 0 && !n.runs.isEmpty()) {
                        m.drain(n.id);
                        excess--;
                    }
                }
            }
        }
    }
}
