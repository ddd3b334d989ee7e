package dev.drover.coordinator.provision;

import dev.drover.coordinator.fleet.FleetListener;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.Transition;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.scaling.ScalingDecision;
import dev.drover.coordinator.scaling.ScalingSnapshot.NodeView;
import dev.drover.coordinator.timeline.Timeline;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Orchestration across pools: carries the policy's decisions to each pool's {@link PoolActuator}, answers
 * evictions at once (NIMBY and ejectall in Tractor, offering bookkeeping and backoff), and takes operator
 * requests (drain a node, pause a pool). Pools without a scale set are planned only.
 */
public final class Provisioning implements FleetListener {
    private static final Logger LOGGER = LoggerFactory.getLogger(Provisioning.class);

    /** States a node may come back to service from, its blade NIMBY'd by Drover meanwhile (lost, draining). */
    private static final Set<NodeState> BACK_FROM = java.util.EnumSet.of(NodeState.LOST, NodeState.DRAINING,
            NodeState.DRAINED, NodeState.UNHEALTHY);

    private final Map<String, PoolSpec> pools = new LinkedHashMap<>();
    private final Map<String, PoolActuator> actuators;
    private final NodeRegistry registry;
    private final BladeControl blades;
    private final Timeline timeline;
    private final OfferingHealth offerings;
    private final Clock clock;
    private final Set<String> paused = ConcurrentHashMap.newKeySet();
    /** Operator drains with a deadline: when it passes, whatever still runs there is ejected (and retried). */
    private final Map<String, Instant> deadlines = new ConcurrentHashMap<>();
    private volatile ProvisionJournal journal = ProvisionJournal.NONE;

    public Provisioning(List<PoolSpec> pools, Map<String, PoolActuator> actuators, NodeRegistry registry,
            BladeControl blades, Timeline timeline, OfferingHealth offerings, Clock clock) {
        pools.forEach(p -> this.pools.put(p.name(), p));
        this.actuators = Map.copyOf(actuators);
        this.registry = registry;
        this.blades = blades;
        this.timeline = timeline;
        this.offerings = offerings;
        this.clock = clock;
    }

    /** Where pauses, drains and pending deletes are kept across restarts; passed on to every pool's actuator. */
    public void setJournal(ProvisionJournal journal) {
        this.journal = journal;
        actuators.values().forEach(a -> a.setJournal(journal));
    }

    /**
     * Puts back what was remembered from before a restart: paused pools, drain deadlines (a drain itself goes on:
     * the node is still Draining and its agent still has, or will be resent, the Drain), and deletes to see
     * through, which each pool's actuator completes once it has listed its scale set.
     */
    public void restore(ProvisionJournal.Remembered remembered) {
        remembered.paused().stream().filter(pools::containsKey).forEach(paused::add);
        for (ProvisionJournal.Drain d : remembered.drains()) {
            if (d.deadlineMillis() > 0) {
                deadlines.put(d.nodeId(), Instant.ofEpochMilli(d.deadlineMillis()));
            }
        }
        actuators.forEach((pool, a) -> a.restore(remembered.deletes().stream().filter(d -> d.pool().equals(pool))
                .toList()));
    }

    /**
     * After a restart: blade actions are reconciled in memory until the engine confirms them, so any a crash cut
     * short are asked for again from the nodes' kept states — an evicting or lost node's blade NIMBY'd and
     * ejected, a draining one's NIMBY'd. Each is harmless if it had landed (NIMBY and ejectall are idempotent).
     */
    public void reassertBladeActions() {
        for (NodeSnapshot n : registry.snapshot()) {
            switch (n.state()) {
                case EVICTING, LOST -> {
                    blades.nimby(n.id(), true);
                    blades.ejectAll(n.id());
                }
                case DRAINING, DRAINED -> blades.nimby(n.id(), true);
                default -> {
                    // a node in service, or gone/deleted (its delist is the pool actuator's, kept in the journal)
                }
            }
        }
    }

    /** Instances that exist but have no node yet, for the policy to count as booting. */
    public List<NodeView> bootingViews() {
        List<NodeView> views = new ArrayList<>();
        actuators.values().forEach(a -> views.addAll(a.bootingViews()));
        return views;
    }

    public Map<String, Instant> backedOff() {
        return offerings.backedOff(clock.instant());
    }

    public OfferingHealth offerings() {
        return offerings;
    }

    public Set<String> paused() {
        return Set.copyOf(paused);
    }

    public Optional<PoolActuator> actuator(String pool) {
        return Optional.ofNullable(actuators.get(pool));
    }

    public boolean executes(String pool) {
        return actuators.containsKey(pool);
    }

    /** Carries out one decision: drains first (they only ever reduce cost), then each pool's capacity. */
    public void apply(ScalingDecision decision) {
        Map<String, Integer> targets = new LinkedHashMap<>();
        for (ScalingDecision.Action a : decision.actions()) {
            PoolActuator actuator = actuators.get(a.pool());
            if (actuator == null) {
                continue;
            }
            if (a instanceof ScalingDecision.DrainNode d) {
                if (actuator.drain(d.nodeId(), 0, d.reason())) {
                    journal.drainStarted(new ProvisionJournal.Drain(d.nodeId(), 0, "scaler: " + d.reason(),
                            clock.instant()));
                }
            } else if (a instanceof ScalingDecision.SetCapacity c) {
                targets.put(c.pool(), c.target());
            }
        }
        Map<String, String> reasons = new LinkedHashMap<>();
        decision.pools().forEach(p -> reasons.put(p.pool(), p.reason()));
        actuators.forEach((name, a) -> a.tick(targets.get(name), reasons.getOrDefault(name, "")));
    }

    /** Called every second: drains whose deadline has passed stop their tasks. */
    public void enforceDeadlines() {
        Instant now = clock.instant();
        deadlines.forEach((nodeId, deadline) -> {
            NodeState state = registry.find(nodeId).map(n -> n.state()).orElse(NodeState.GONE);
            if (state != NodeState.DRAINING) {
                deadlines.remove(nodeId);
            } else if (!deadline.isAfter(now)) {
                deadlines.remove(nodeId);
                String pool = registry.find(nodeId).map(n -> n.pool()).orElse("");
                timeline.record(Timeline.Kind.DRAIN, pool, nodeId, "drain deadline of " + nodeId + " reached: "
                        + "stopping its tasks, to be retried elsewhere");
                blades.ejectAll(nodeId);
            }
        });
    }

    /** Operator: pause or resume scaling of a pool (the policy then holds it where it is). */
    public boolean setPaused(String pool, boolean pause, String who) {
        if (!pools.containsKey(pool)) {
            return false;
        }
        journal.paused(pool, pause, who, clock.instant());
        boolean changed = pause ? paused.add(pool) : paused.remove(pool);
        if (changed) {
            timeline.record(Timeline.Kind.SCALE, pool, "", "pool " + pool + (pause ? " paused" : " resumed") + " by "
                    + who);
        }
        return true;
    }

    /**
     * Operator: drain a node, on completion or by a deadline after which its tasks are stopped (and retried
     * elsewhere). A node of a pool with a scale set is then deleted; any other just stays Drained.
     */
    public boolean drain(String nodeId, long deadlineMillis, String who) {
        String reason = "operator " + who + (deadlineMillis > 0 ? ", deadline " + Instant.ofEpochMilli(deadlineMillis)
                : ", on completion");
        String pool = registry.find(nodeId).map(n -> n.pool()).orElse(null);
        if (pool == null) {
            return false;
        }
        PoolActuator actuator = actuators.get(pool);
        boolean started;
        if (actuator != null) {
            started = actuator.drain(nodeId, deadlineMillis, reason);
        } else {
            started = registry.drain(nodeId, deadlineMillis, reason);
            if (started) {
                blades.nimby(nodeId, true);
                timeline.record(Timeline.Kind.DRAIN, pool, nodeId, "draining " + nodeId + ": " + reason);
            }
        }
        if (started) {
            journal.drainStarted(new ProvisionJournal.Drain(nodeId, deadlineMillis, "operator " + who,
                    clock.instant()));
        }
        if (started && deadlineMillis > 0) {
            deadlines.put(nodeId, Instant.ofEpochMilli(deadlineMillis));
        }
        return started;
    }

    @Override
    public void transitioned(String nodeId, String pool, Transition t) {
        if ((t.from() == NodeState.DRAINING || t.from() == NodeState.DRAINED) && t.to() != NodeState.DRAINED
                && t.to() != NodeState.SUSPECT && t.to() != NodeState.LOST) {
            journal.drainEnded(nodeId); // done (deleted, gone, evicted) or undone (Ready again)
        }
        if (t.to() == NodeState.EVICTING) {
            evicting(nodeId, pool, t.reason());
        } else if (t.from() == NodeState.EVICTING && t.to() == NodeState.READY) {
            // Azure cancelled the eviction: the blade takes work again; a replacement already asked for is
            // scaled in by the normal idle-window drain if the pool no longer needs it.
            timeline.record(Timeline.Kind.EVICTION, pool, nodeId, "eviction of " + nodeId + " cancelled: "
                    + t.reason());
            blades.nimby(nodeId, false).onFailure(e -> LOGGER.atWarn().addKeyValue("nodeId", nodeId)
                    .log("un-NIMBY after a cancelled eviction failed: " + e.getMessage()));
        } else if (t.to() == NodeState.LOST) {
            // The VM may still be rendering, or not: Tractor is told to run its tasks elsewhere now, and to give
            // the blade nothing new — work handed to a blade Drover cannot see would die unseen when the lost VM
            // is replaced.
            blades.nimby(nodeId, true);
            blades.ejectAll(nodeId).onFailure(e -> LOGGER.atWarn().addKeyValue("nodeId", nodeId)
                    .log("ejectall for a lost blade failed: " + e.getMessage()));
            timeline.record(Timeline.Kind.NODE, pool, nodeId, "node " + nodeId + " lost (" + t.reason() + ")");
        } else if (BACK_FROM.contains(t.from()) && (t.to() == NodeState.READY || t.to() == NodeState.BUSY)) {
            // the agent is back and not leaving (a lost node's agent returned, a drain was undone): its blade takes
            // work again, if it was Drover that NIMBY'd it
            blades.nimby(nodeId, false).onFailure(e -> LOGGER.atWarn().addKeyValue("nodeId", nodeId)
                    .log("un-NIMBY of a node back in service not confirmed yet: " + e.getMessage()));
        }
    }

    /** An eviction notice, or the scale set reports the VM preempted: stop new work, requeue what ran, now. */
    private void evicting(String nodeId, String pool, String why) {
        PoolSpec spec = pools.get(pool);
        String backoff = "";
        if (spec != null && offerings.evicted(spec.offering(), clock.instant())) {
            backoff = "; offering " + spec.offering() + " backed off (" + offerings.reason(spec.offering()) + ")"
                    + spec.fallbackPool().map(f -> ", demand moves to " + f).orElse("");
        }
        timeline.record(Timeline.Kind.EVICTION, pool, nodeId, "eviction of " + nodeId + ": " + why + backoff);
        // NIMBY and ejectall are independent: a refused NIMBY must not keep the blade's tasks on a dying VM (with
        // Tractor each is retried until the engine confirms it, issue 13)
        blades.nimby(nodeId, true).onFailure(e -> LOGGER.atWarn().addKeyValue("nodeId", nodeId)
                .log("NIMBY for an evicted blade not confirmed yet: " + e.getMessage()));
        if (registry.find(nodeId).map(n -> n.keepsTasksThroughEviction()).orElse(false)) {
            return; // a Terminate with time to spare: NIMBY only, the running tasks finish (issue 14)
        }
        blades.ejectAll(nodeId).onFailure(e -> LOGGER.atWarn().addKeyValue("nodeId", nodeId)
                .log("ejectall for an evicted blade not confirmed yet: " + e.getMessage()));
    }

    /** The tasks a Terminate let run no longer fit before it (or a Preempt came): requeue them now. */
    @Override
    public void evictionRequeueNow(String nodeId, String pool, String why) {
        timeline.record(Timeline.Kind.EVICTION, pool, nodeId, "eviction of " + nodeId + ": " + why);
        blades.ejectAll(nodeId).onFailure(e -> LOGGER.atWarn().addKeyValue("nodeId", nodeId)
                .log("ejectall for an evicted blade not confirmed yet: " + e.getMessage()));
    }
}
