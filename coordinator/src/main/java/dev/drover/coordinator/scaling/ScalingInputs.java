package dev.drover.coordinator.scaling;

import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.queue.QueueView;
import dev.drover.coordinator.scaling.ScalingSnapshot.NodeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How the scaling loop turns what it read (queue, fleet, booting instances, config) into the policy's snapshot.
 * Pure, so the live {@link ScalingLoop} and the simulator build their inputs with the very same code.
 */
public final class ScalingInputs {

    private ScalingInputs() {
    }

    /**
     * The snapshot for one round.
     *
     * @param fleet the enrolled nodes, as {@link #view(NodeSnapshot)} sees them (or a simulator's nodes)
     * @param booting instances that exist but have no node yet
     * @param licences config licence caps per service key (any case)
     * @param work runtime estimates per service key, or {@link ScalingSnapshot.Work#NONE}
     */
    public static ScalingSnapshot snapshot(Instant now, QueueView q, List<NodeView> fleet, List<NodeView> booting,
            Map<String, Integer> licences, List<PoolSpec> pools, Map<String, Instant> backedOff, Set<String> paused,
            double farmMaxCostPerHour, ScalingSnapshot.Work work) {
        Map<String, Integer> demand = new HashMap<>();
        boolean activePerPool = q.ownActiveByPool() != null; // Tractor: only work on Drover's own live blades
        for (Map.Entry<String, QueueView.Counts> e : q.counts().entrySet()) {
            demand.put(e.getKey(), e.getValue().ready() + (activePerPool ? 0 : e.getValue().active()));
        }
        List<NodeView> nodes = new ArrayList<>(fleet);
        nodes.addAll(booting);
        Map<String, Integer> caps = new HashMap<>(); // config caps and the render manager's, the lower of the two
        licences.forEach((key, max) -> caps.merge(key.toLowerCase(Locale.ROOT), max, Math::min));
        q.licenceCaps().forEach((key, max) -> caps.merge(key, max, Math::min));
        if (activePerPool) { // licences held by running tasks anywhere in the farm are not free for new ones
            caps.replaceAll((key, max) -> Math.max(0, max - q.counts().getOrDefault(key,
                    new QueueView.Counts(0, 0)).active()));
        }
        return new ScalingSnapshot(now, q.known(), demand, caps, pools, nodes, backedOff, paused,
                farmMaxCostPerHour, activePerPool ? q.ownActiveByPool() : Map.of(), work);
    }

    /**
     * Runtime estimates per service key from the queue's work (one code path for the live loop and the
     * simulator). A key with any ready task of unknown runtime gets none, so the policy counts its tasks.
     *
     * @param bootByPool how long a node of each pool takes from request to taking work (typical)
     */
    public static ScalingSnapshot.Work work(QueuedWork q, Map<String, java.time.Duration> bootByPool) {
        if (q.estimator() == null) {
            return ScalingSnapshot.Work.NONE;
        }
        Map<String, double[]> acc = new HashMap<>(); // ready sum, longest ready, active remaining, unknown
        for (QueuedWork.Ready r : q.ready()) {
            if (r.count() <= 0) {
                continue;
            }
            double[] a = acc.computeIfAbsent(r.service(), k -> new double[4]);
            double est = q.estimator().estimate(r.job(), r.service());
            if (Double.isNaN(est)) {
                a[3] = 1;
            } else {
                a[0] += est * r.count();
                a[1] = Math.max(a[1], est);
            }
        }
        for (QueuedWork.Running r : q.running()) {
            double[] a = acc.computeIfAbsent(r.service(), k -> new double[4]);
            double est = q.estimator().estimate(r.job(), r.service());
            // a task past its estimate is assumed to need a tenth of it more (it is late, not done)
            a[2] += Double.isNaN(est) ? r.elapsedSeconds() : Math.max(est - r.elapsedSeconds(), est * 0.1);
        }
        Map<String, ScalingSnapshot.KeyWork> byKey = new HashMap<>();
        acc.forEach((k, a) -> {
            if (a[3] == 0) {
                byKey.put(k, new ScalingSnapshot.KeyWork(a[0], a[1], a[2]));
            }
        });
        return new ScalingSnapshot.Work(byKey, bootByPool);
    }

    /** An enrolled node as scaling sees it. */
    public static NodeView view(NodeSnapshot n) {
        int running = n.lastHeartbeat() != null ? n.lastHeartbeat().runningTasks() : 0;
        boolean idle = n.state() == NodeState.READY && running == 0 && n.runningTasks().isEmpty();
        return new NodeView(n.id(), n.identity() != null ? n.identity().pool() : "", n.state(), running,
                idle ? idleSince(n) : null, false);
    }

    /**
     * When the node last stopped working: its Ready time, or its last task's end if later — a task shorter than
     * a heartbeat interval never shows as Busy, but the node was not idle while it ran.
     */
    static Instant idleSince(NodeSnapshot n) {
        Instant since = n.stateSince();
        for (dev.drover.coordinator.fleet.TaskView t : n.recentTasks()) {
            if (t.finishedAt() != null && t.finishedAt().isAfter(since)) {
                since = t.finishedAt();
            }
        }
        return since;
    }
}
