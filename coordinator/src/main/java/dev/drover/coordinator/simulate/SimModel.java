package dev.drover.coordinator.simulate;

import dev.drover.coordinator.provision.OfferingHealth;
import dev.drover.coordinator.scaling.RuntimeEstimator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * The discrete-event farm: tasks arrive, scale sets boot nodes (or fail to allocate), nodes run tasks on their
 * slots, Spot nodes are evicted (their tasks requeued, the work done so far lost), drained nodes are deleted.
 * Events sit in a priority queue on a simulated clock; nothing sleeps and nothing runs in parallel, so one
 * seed gives one history. A {@link SimPolicy} looks at the farm every {@link SimPolicy#intervalSeconds()} and
 * acts through {@link #scaleOut} and {@link #drain}, as the live actuator does.
 */
public final class SimModel {
    /** Simulated time zero; traces count seconds from here. */
    public static final Instant EPOCH = Instant.parse("2026-01-05T00:00:00Z");
    /** From a drained node being empty to its instance being gone (a scale-set delete). */
    static final double DELETE_SECONDS = 60;
    static final double SAMPLE_SECONDS = 60;
    /** After the last task, how long idle nodes may linger before the run is cut (their cost counted). */
    static final double TAIL_SECONDS = 3 * 3600;
    static final double MIN_BOOT_SECONDS = 30;

    enum State { BOOTING, UP, DRAINING, GONE }

    /** A node (an instance from its request to its deletion: the whole time is paid). */
    static final class Node {
        final String id;
        final SimPool pool;
        final double created;
        State state = State.BOOTING;
        double lastAccrued;
        double idleSince;
        final List<Run> runs = new ArrayList<>();

        Node(String id, SimPool pool, double created) {
            this.id = id;
            this.pool = pool;
            this.created = created;
            this.lastAccrued = created;
        }

        int freeSlots() {
            return state == State.UP ? pool.spec().slotsPerNode() - runs.size() : 0;
        }
    }

    /** One attempt at a task on a node. */
    record Run(Trace.Task task, Node node, double start) {
    }

    private record Event(double at, long seq, Runnable action) {
    }

    private final Trace trace;
    private final List<SimPool> pools;
    private final SimPolicy policy;
    private final SplittableRandom random;
    private final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at != b.at
            ? Double.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private long seq;
    private double now;
    private int nodeCounter;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, Deque<Trace.Task>> ready = new LinkedHashMap<>();
    private final Map<String, Integer> runningByKey = new HashMap<>();
    /** Ready tasks per (job, key), for estimates without walking the queue. */
    private final Map<JobKey, Integer> readyByJob = new LinkedHashMap<>();
    private final OfferingHealth offerings = new OfferingHealth(Duration.ofSeconds(180), 3, Duration.ofMinutes(10));
    private final RuntimeEstimator estimator = new RuntimeEstimator();
    private final SimResult.Builder result;
    private int unfinished;
    private double lastFinish;
    private boolean dirty;

    public SimModel(Trace trace, List<SimPool> pools, SimPolicy policy, long seed) {
        this.trace = trace;
        this.pools = List.copyOf(pools);
        this.policy = policy;
        this.random = new SplittableRandom(seed);
        this.result = new SimResult.Builder(policy.name(), trace);
        this.unfinished = trace.tasks().size();
    }

    /** Runs the trace to its end (every task done and the farm scaled in, or the tail cut-off). */
    public SimResult run() {
        for (Trace.Task t : trace.tasks()) {
            at(t.submitSeconds(), () -> arrive(t));
        }
        double start = trace.tasks().get(0).submitSeconds();
        at(start, this::tick);
        at(start, this::sample);
        while (!events.isEmpty()) {
            Event e = events.poll();
            now = e.at;
            if (finished()) {
                break;
            }
            e.action.run();
            if (dirty) {
                dispatch();
                dirty = false;
            }
        }
        for (Node n : nodes.values()) {
            accrue(n);
        }
        return result.build(now, lastFinish);
    }

    private boolean finished() {
        if (unfinished > 0) {
            return false;
        }
        boolean scaledIn = nodes.size() <= pools.stream().mapToInt(p -> p.spec().minNodes()).sum();
        return scaledIn || now > lastFinish + TAIL_SECONDS;
    }

    private void at(double t, Runnable action) {
        events.add(new Event(t, seq++, action));
    }

    private void tick() {
        policy.tick(this);
        at(now + policy.intervalSeconds(), this::tick);
    }

    private void sample() {
        int[] byState = new int[State.values().length];
        nodes.values().forEach(n -> byState[n.state.ordinal()]++);
        int queued = ready.values().stream().mapToInt(Deque::size).sum();
        int running = runningByKey.values().stream().mapToInt(Integer::intValue).sum();
        result.sample(now, byState[State.BOOTING.ordinal()], byState[State.UP.ordinal()],
                byState[State.DRAINING.ordinal()], queued, running);
        at(now + SAMPLE_SECONDS, this::sample);
    }

    /** A job's tasks of one service key. */
    public record JobKey(String job, String service) {
    }

    private void arrive(Trace.Task t) {
        ready.computeIfAbsent(t.service(), k -> new ArrayDeque<>()).addLast(t);
        readyByJob.merge(new JobKey(t.job(), t.service()), 1, Integer::sum);
        dirty = true;
    }

    /** Gives ready tasks to free slots, oldest node first, oldest task among the keys the node serves. */
    private void dispatch() {
        for (Node n : nodes.values()) {
            while (n.freeSlots() > 0) {
                Deque<Trace.Task> best = null;
                for (Map.Entry<String, Deque<Trace.Task>> e : ready.entrySet()) {
                    Trace.Task head = e.getValue().peekFirst();
                    if (head != null && n.pool.spec().serves(e.getKey()) && (best == null
                            || earlier(head, best.peekFirst()))) {
                        best = e.getValue();
                    }
                }
                if (best == null) {
                    break;
                }
                start(n, best.pollFirst());
            }
        }
    }

    private static boolean earlier(Trace.Task a, Trace.Task b) {
        return a.submitSeconds() != b.submitSeconds() ? a.submitSeconds() < b.submitSeconds() : a.index() < b.index();
    }

    private void start(Node n, Trace.Task t) {
        accrue(n);
        readyByJob.compute(new JobKey(t.job(), t.service()), (k, v) -> v == null || v <= 1 ? null : v - 1);
        Run run = new Run(t, n, now);
        n.runs.add(run);
        runningByKey.merge(t.service(), 1, Integer::sum);
        at(now + t.runtimeSeconds(), () -> finish(run));
    }

    private void finish(Run run) {
        Node n = run.node();
        if (!n.runs.contains(run)) {
            return; // evicted meanwhile: the task was requeued
        }
        accrue(n);
        n.runs.remove(run);
        runningByKey.merge(run.task().service(), -1, Integer::sum);
        estimator.finished(run.task().job(), run.task().service(), now - run.start());
        result.taskDone(run.task(), now);
        unfinished--;
        lastFinish = now;
        if (n.runs.isEmpty()) {
            n.idleSince = now;
            if (n.state == State.DRAINING) {
                at(now + DELETE_SECONDS, () -> gone(n));
            }
        }
        dirty = true;
    }

    /**
     * Grows a pool to {@code target} working nodes (up and booting), as the live actuator does; a request may
     * fail to allocate, which backs the offering off.
     */
    public void scaleOut(String pool, int target) {
        SimPool p = pools.stream().filter(x -> x.name().equals(pool)).findFirst().orElseThrow();
        long working = nodes.values().stream().filter(n -> n.pool == p
                && (n.state == State.BOOTING || n.state == State.UP)).count();
        int add = (int) Math.min(target, p.spec().maxNodes()) - (int) working;
        if (add <= 0) {
            return;
        }
        if (random.nextDouble() < p.allocFailProbability()) {
            offerings.allocationFailed(p.spec().offering(), instant(), "simulated allocation failure");
            result.allocationFailure();
            return;
        }
        result.scaleOut(add);
        for (int i = 0; i < add; i++) {
            Node n = new Node(p.name() + "-" + (++nodeCounter), p, now);
            nodes.put(n.id, n);
            double boot = Math.max(minBoot(p), p.bootMeanSeconds() + p.bootSdSeconds() * random.nextGaussian());
            at(now + boot, () -> booted(n));
            if (p.evictionsPerHour() > 0) {
                double evictIn = -Math.log(1 - random.nextDouble()) / p.evictionsPerHour() * 3600;
                at(now + evictIn, () -> evicted(n));
            }
        }
    }

    /** The shortest boot the model draws for a pool: the normal is cut at three deviations (and 30 s). */
    static double minBoot(SimPool p) {
        return Math.max(MIN_BOOT_SECONDS, p.bootMeanSeconds() - 3 * p.bootSdSeconds());
    }

    private void booted(Node n) {
        if (n.state != State.BOOTING) {
            return;
        }
        accrue(n);
        n.state = State.UP;
        n.idleSince = now;
        dirty = true;
    }

    /** Drain on completion: no new work; deleted once its tasks are done. */
    public void drain(String nodeId) {
        Node n = nodes.get(nodeId);
        if (n == null || n.state == State.GONE || n.state == State.DRAINING) {
            return;
        }
        accrue(n);
        n.state = State.DRAINING;
        result.drain();
        if (n.runs.isEmpty()) {
            at(now + DELETE_SECONDS, () -> gone(n));
        }
    }

    private void evicted(Node n) {
        if (n.state == State.GONE) {
            return;
        }
        accrue(n);
        for (Run r : n.runs) {
            result.lost(now - r.start());
            runningByKey.merge(r.task().service(), -1, Integer::sum);
            ready.computeIfAbsent(r.task().service(), k -> new ArrayDeque<>()).addFirst(r.task());
            readyByJob.merge(new JobKey(r.task().job(), r.task().service()), 1, Integer::sum);
        }
        n.runs.clear();
        n.state = State.GONE;
        nodes.remove(n.id);
        result.eviction();
        offerings.evicted(n.pool.spec().offering(), instant());
        dirty = true;
    }

    private void gone(Node n) {
        if (n.state == State.GONE) {
            return;
        }
        accrue(n);
        n.state = State.GONE;
        nodes.remove(n.id);
    }

    /** Adds the time since the node's last change to the bucket of its current state, and its cost. */
    private void accrue(Node n) {
        double dt = now - n.lastAccrued;
        n.lastAccrued = now;
        if (dt <= 0 || n.state == State.GONE) {
            return;
        }
        SimResult.Bucket b = switch (n.state) {
            case BOOTING -> SimResult.Bucket.BOOTING;
            case DRAINING -> SimResult.Bucket.DRAINING;
            default -> n.runs.isEmpty() ? SimResult.Bucket.IDLE : SimResult.Bucket.BUSY;
        };
        result.paid(b, dt, dt / 3600 * n.pool.spec().pricePerNodeHour());
    }

    // --- what policies read ---

    public double now() {
        return now;
    }

    public Instant instant() {
        return EPOCH.plusMillis(Math.round(now * 1000));
    }

    public List<SimPool> pools() {
        return pools;
    }

    /** Nodes not yet gone, oldest first. */
    public List<Node> liveNodes() {
        return List.copyOf(nodes.values());
    }

    public Map<String, Integer> readyByKey() {
        Map<String, Integer> out = new LinkedHashMap<>();
        ready.forEach((k, q) -> out.put(k, q.size()));
        return out;
    }

    public Map<String, Integer> runningByKey() {
        return Map.copyOf(runningByKey);
    }

    /** Ready tasks per job and key (for runtime estimates). */
    public Map<JobKey, Integer> readyByJob() {
        return readyByJob;
    }

    /** Running attempts of all nodes. */
    public List<Run> runs() {
        List<Run> out = new ArrayList<>();
        nodes.values().forEach(n -> out.addAll(n.runs));
        return out;
    }

    public OfferingHealth offerings() {
        return offerings;
    }

    public RuntimeEstimator estimator() {
        return estimator;
    }
}
