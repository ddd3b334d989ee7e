package dev.drover.coordinator.demo;

import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The demo's chaos: now and then a busy node gets a Spot eviction notice, as Azure would send it. */
final class Chaos {
    private final NodeRegistry registry;
    private final Supplier<LocalScaleSet> scaleSet;
    private final Duration interval;
    private final Duration notice;
    private final int max;
    private final Random random = new Random();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "demo-chaos");
        t.setDaemon(true);
        return t;
    });
    private int injected;

    Chaos(NodeRegistry registry, Supplier<LocalScaleSet> scaleSet, Duration interval, Duration notice, int max) {
        this.registry = registry;
        this.scaleSet = scaleSet;
        this.interval = interval;
        this.notice = notice;
        this.max = max;
    }

    void start() {
        timer.scheduleWithFixedDelay(this::maybeEvict, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop() {
        timer.shutdownNow();
    }

    private void maybeEvict() {
        LocalScaleSet set = scaleSet.get();
        if (set == null || injected >= max) {
            return;
        }
        List<String> running = set.names();
        List<NodeSnapshot> busy = registry.snapshot().stream()
                .filter(n -> n.state() == NodeState.BUSY && running.contains(n.id())).toList();
        if (busy.isEmpty()) {
            return;
        }
        // the node with the most of its frame still to render (ties at random): an eviction there takes work away,
        // to be requeued and finished elsewhere; one near its end may finish before the requeue reaches it, and its
        // result is then rightly kept, which shows no requeue at all
        List<NodeSnapshot> shuffled = new java.util.ArrayList<>(busy);
        java.util.Collections.shuffle(shuffled, random);
        String victim = shuffled.stream().min(java.util.Comparator.comparingDouble(Chaos::done)).orElseThrow().id();
        if (set.preempt(victim, notice)) {
            injected++;
        }
    }

    /** How far the node's running task has got, 0–100 (0 before its first progress report). */
    private static double done(NodeSnapshot n) {
        return n.runningTasks().stream().mapToDouble(t -> t.percent()).max().orElse(0);
    }
}
