package dev.drover.coordinator.simulate;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.queue.QueueView;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.scaling.ScalingDecision;
import dev.drover.coordinator.scaling.ScalingInputs;
import dev.drover.coordinator.scaling.ScalingPolicy;
import dev.drover.coordinator.scaling.ScalingSnapshot;
import dev.drover.coordinator.scaling.QueuedWork;
import dev.drover.coordinator.scaling.ScalingSnapshot.NodeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Drover's own {@link ScalingPolicy}, called as the live {@code ScalingLoop} calls it: once a second, on a
 * snapshot built by {@link ScalingInputs} from a built-in-queue view and the fleet. With {@code estimates} on,
 * the snapshot also carries runtime estimates ({@link dev.drover.coordinator.scaling.RuntimeEstimator}: what the coordinator has seen finish,
 * never the trace's truth); off, the policy sees task counts only, as before issue 17.
 */
public final class DroverSimPolicy implements SimPolicy {
    private final boolean estimates;

    public DroverSimPolicy(boolean estimates) {
        this.estimates = estimates;
    }

    @Override
    public String name() {
        return estimates ? "drover" : "drover-count";
    }

    @Override
    public double intervalSeconds() {
        return 1;
    }

    @Override
    public void tick(SimModel m) {
        Map<String, QueueView.Counts> counts = new HashMap<>();
        m.readyByKey().forEach((k, n) -> counts.merge(k, new QueueView.Counts(n, 0), QueueView.Counts::plus));
        m.runningByKey().forEach((k, n) -> counts.merge(k, new QueueView.Counts(0, n), QueueView.Counts::plus));
        QueueView q = new QueueView(true, counts, "simulated built-in queue");
        List<NodeView> fleet = new ArrayList<>();
        List<NodeView> booting = new ArrayList<>();
        for (SimModel.Node n : m.liveNodes()) {
            if (n.state == SimModel.State.BOOTING) {
                booting.add(new NodeView(n.id, n.pool.name(), NodeState.PROVISIONING, 0, null, false));
            } else if (n.state == SimModel.State.DRAINING) {
                fleet.add(new NodeView(n.id, n.pool.name(), NodeState.DRAINING, n.runs.size(), null, false));
            } else {
                boolean idle = n.runs.isEmpty();
                fleet.add(new NodeView(n.id, n.pool.name(), idle ? NodeState.READY : NodeState.BUSY, n.runs.size(),
                        idle ? SimModel.EPOCH.plusMillis(Math.round(n.idleSince * 1000)) : null, false));
            }
        }
        List<PoolSpec> specs = m.pools().stream().map(SimPool::spec).toList();
        ScalingSnapshot snapshot = ScalingInputs.snapshot(m.instant(), q, fleet, booting, Map.of(), specs,
                m.offerings().backedOff(m.instant()), Set.of(), Double.POSITIVE_INFINITY,
                estimates ? work(m) : ScalingSnapshot.Work.NONE);
        ScalingDecision d = ScalingPolicy.decide(snapshot);
        for (ScalingDecision.Action a : d.actions()) { // drains first, as Provisioning.apply does
            if (a instanceof ScalingDecision.DrainNode drain) {
                m.drain(drain.nodeId());
            }
        }
        for (ScalingDecision.Action a : d.actions()) {
            if (a instanceof ScalingDecision.SetCapacity c) {
                m.scaleOut(c.pool(), c.target());
            }
        }
    }

    /** The queue's work as the live built-in queue reports it, estimated by {@link ScalingInputs#work}. */
    static ScalingSnapshot.Work work(SimModel m) {
        List<QueuedWork.Ready> ready = new ArrayList<>(m.readyByJob().size());
        m.readyByJob().forEach((k, n) -> ready.add(new QueuedWork.Ready(k.job(), k.service(), n)));
        List<QueuedWork.Running> running = new ArrayList<>();
        for (SimModel.Run r : m.runs()) {
            running.add(new QueuedWork.Running(r.task().job(), r.task().service(), m.now() - r.start()));
        }
        Map<String, Duration> boot = new HashMap<>();
        m.pools().forEach(p -> boot.put(p.name(), Duration.ofSeconds(Math.round(p.bootMeanSeconds()))));
        return ScalingInputs.work(new QueuedWork(ready, running, m.estimator()), boot);
    }
}
