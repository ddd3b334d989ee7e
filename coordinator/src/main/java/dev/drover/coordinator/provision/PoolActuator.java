package dev.drover.coordinator.provision;

import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.scaling.ScalingSnapshot.NodeView;
import dev.drover.coordinator.timeline.Timeline;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out scaling for one pool against its scale set, and keeps the fleet and the scale set in step
 * (DESIGN.md flows 1, 3, 4 and 5):
 * <ul>
 * <li>scale out by setting capacity — the policy's target plus the instances that are on their way out,
 * so a replacement is asked for while the evicted or draining machine still exists;
 * <li>scale in only by deleting the very instance of a node that reported DRAINED, then delisting its blade;
 * <li>an instance the scale set no longer lists → its node is Gone (tasks requeued, blade delisted); an
 * instance stopped or deallocated (Spot eviction under Deallocate) → Evicting, and deleted;
 * <li>a node Lost longer than {@code lostReplace} whose instance still exists → deleted and replaced;
 * an instance that never enrols within {@code bootTimeout} → a failed boot, deleted, offering backed off.
 * </ul>
 * One scale-set operation at a time, and the instance list is refreshed after each, so a decision is never
 * applied twice on stale numbers; capacity is absolute, so a retry or a restart cannot double it.
 * Thread-safe: the scaling tick, the API and the scale set's callbacks all come through this object's lock.
 */
public final class PoolActuator {
    private static final Logger LOGGER = LoggerFactory.getLogger(PoolActuator.class);
    private static final Set<NodeState> LEAVING = EnumSet.of(NodeState.DRAINING, NodeState.DRAINED,
            NodeState.EVICTING, NodeState.LOST);
    private static final Set<NodeState> FINISHED = EnumSet.of(NodeState.GONE, NodeState.DELETED);

    /** Timings, from config. */
    public record Settings(Duration listEvery, Duration bootTimeout, Duration lostReplace) {
    }

    private final PoolSpec pool;
    private final ScaleSet scaleSet;
    private final NodeRegistry registry;
    private final BladeControl blades;
    private final Timeline timeline;
    private final OfferingHealth offerings;
    private final Clock clock;
    private final Settings settings;

    private List<Instance> instances; // null until the first list succeeds
    private Instant listedAt = Instant.EPOCH;
    private Instant listSucceededAt; // null until the first list succeeds
    private boolean listRequested; // attestation met a VM the latest list does not show
    private boolean listing;
    private boolean operating;
    private boolean stale = true;
    private String lastError = "";
    private final Map<String, Instant> firstSeen = new HashMap<>();
    private final Set<String> listedNodes = new HashSet<>();
    private final Set<String> deleting = new HashSet<>();
    private final Set<String> failedBootReported = new HashSet<>();
    private final Set<String> checking = new HashSet<>();
    private final Set<String> idleConfirmed = new HashSet<>();
    private ProvisionJournal journal = ProvisionJournal.NONE;
    /** Deletes remembered from before a restart, seen through once the scale set has been listed again. */
    private final List<ProvisionJournal.PendingDelete> remembered = new ArrayList<>();

    public PoolActuator(PoolSpec pool, ScaleSet scaleSet, NodeRegistry registry, BladeControl blades,
            Timeline timeline, OfferingHealth offerings, Clock clock, Settings settings) {
        this.pool = pool;
        this.scaleSet = scaleSet;
        this.registry = registry;
        this.blades = blades;
        this.timeline = timeline;
        this.offerings = offerings;
        this.clock = clock;
        this.settings = settings;
    }

    public synchronized void setJournal(ProvisionJournal journal) {
        this.journal = journal;
    }

    /**
     * After a restart: the deletes to see through, and the pool's remembered nodes, which were in the scale set
     * before, so one missing from the first list is Gone (it left while the coordinator was down).
     */
    public synchronized void restore(List<ProvisionJournal.PendingDelete> deletes) {
        remembered.addAll(deletes);
        deletes.forEach(d -> deleting.add(d.instanceId()));
        for (NodeSnapshot n : registry.snapshot()) {
            if (n.identity() != null && n.identity().pool().equals(pool.name()) && !FINISHED.contains(n.state())) {
                listedNodes.add(n.id());
            }
        }
    }

    public PoolSpec pool() {
        return pool;
    }

    /** Instances without an enrolled node yet, as the policy should count them (booting, or failed to boot). */
    public synchronized List<NodeView> bootingViews() {
        if (instances == null) {
            return List.of();
        }
        Instant now = clock.instant();
        List<NodeView> views = new ArrayList<>();
        for (Instance i : instances) {
            NodeSnapshot node = i.nodeName().isEmpty() ? null : registry.find(i.nodeName()).map(n -> n.snapshot())
                    .orElse(null);
            if (node == null) { // an enrolling node is counted from the fleet already
                boolean failed = i.failed() || firstSeen.getOrDefault(i.instanceId(), now)
                        .plus(settings.bootTimeout()).isBefore(now);
                views.add(new NodeView(i.nodeName().isEmpty() ? "instance-" + i.instanceId() : i.nodeName(),
                        pool.name(), NodeState.PROVISIONING, 0, null, failed));
            }
        }
        return views;
    }

    /** Instances the scale set has now (null: not listed yet). */
    public synchronized List<Instance> instances() {
        return instances;
    }

    public synchronized String lastError() {
        return lastError;
    }

    /** When the instance list last succeeded, or null if it never has. */
    public synchronized Instant listSucceededAt() {
        return listSucceededAt;
    }

    /**
     * Lists again at the next tick rather than at the list interval (a new VM is proving itself), but never
     * sooner than {@link #MIN_REQUESTED_LIST_GAP} after the last attempt: instance lists are ARM's most
     * throttled call, and nodes asking cannot be allowed to spend it.
     */
    public synchronized void requestList() {
        listRequested = true;
    }

    static final java.time.Duration MIN_REQUESTED_LIST_GAP = java.time.Duration.ofSeconds(5);

    public String describe() {
        return scaleSet.describe();
    }

    public Map<String, String> rateLimits() {
        return scaleSet.rateLimits();
    }

    /** One round: refresh the instance list when due, reconcile the fleet with it, apply the policy's target. */
    public synchronized void tick(Integer targetNodes, String reason) {
        Instant now = clock.instant();
        // act only on a list taken after the last operation finished, so nothing is done twice
        if (instances != null && !listing && !operating && !stale) {
            reconcile(now);
            if (!operating && targetNodes != null) {
                scaleOut(targetNodes, reason);
            }
        }
        boolean requested = listRequested && !listedAt.plus(MIN_REQUESTED_LIST_GAP).isAfter(now);
        if (!listing && !operating && (stale || requested || !listedAt.plus(settings.listEvery()).isAfter(now))) {
            listRequested = false;
            refresh();
        }
    }

    private void refresh() {
        LOGGER.atDebug().addKeyValue("pool", pool.name()).log("listing instances");
        listing = true;
        scaleSet.instances().onComplete(r -> onListed(r));
    }

    private synchronized void onListed(io.vertx.core.AsyncResult<List<Instance>> r) {
        listing = false;
        Instant now = clock.instant();
        LOGGER.atDebug().addKeyValue("pool", pool.name()).addKeyValue("ok", r.succeeded()).log("instances listed");
        if (r.failed()) {
            listedAt = now; // try again after the list interval, not at once: listing is throttled hardest
            stale = false;
            error("cannot list instances of " + scaleSet.describe() + ": " + r.cause().getMessage());
            return;
        }
        instances = List.copyOf(r.result());
        listedAt = now;
        listSucceededAt = now;
        stale = false;
        Set<String> present = new HashSet<>();
        for (Instance i : instances) {
            present.add(i.instanceId());
            firstSeen.putIfAbsent(i.instanceId(), now);
        }
        firstSeen.keySet().retainAll(present);
        deleting.retainAll(present);
    }

    /** An instance to delete, the node on it (empty if none enrolled) and why. */
    private record Doomed(Instance instance, String nodeId, String why) {
    }

    private void reconcile(Instant now) {
        if (!remembered.isEmpty() && seeThroughRemembered()) {
            return; // a delete is under way again; the rest waits for the list after it
        }
        List<Doomed> doomed = new ArrayList<>();
        List<Doomed> drained = new ArrayList<>();
        Map<String, Instance> byNode = new HashMap<>();
        for (Instance i : instances) {
            if (!i.nodeName().isEmpty()) {
                byNode.put(i.nodeName(), i);
            }
        }
        for (NodeSnapshot n : registry.snapshot()) {
            if (n.identity() == null || !n.identity().pool().equals(pool.name()) || FINISHED.contains(n.state())) {
                continue;
            }
            Instance i = byNode.get(n.id());
            if (i == null) {
                if (listedNodes.remove(n.id())) {
                    gone(n);
                }
                continue;
            }
            listedNodes.add(n.id());
            if (i.stoppedOrDeallocated() && n.state() != NodeState.EVICTING) {
                registry.mark(n.id(), NodeState.EVICTING, "scale set reports the instance " + i.powerState());
            } else if (n.state() == NodeState.DRAINED) {
                drained.add(new Doomed(i, n.id(), "drained: no task running"));
            } else if (n.state() == NodeState.EVICTING && i.stoppedOrDeallocated()) {
                doomed.add(new Doomed(i, n.id(), "evicted and " + i.powerState() + ": freeing its quota"));
            } else if (n.state() == NodeState.LOST && n.stateSince().plus(settings.lostReplace()).isBefore(now)) {
                doomed.add(new Doomed(i, n.id(), "lost for over " + settings.lostReplace().toMinutes()
                        + " min: replacing it"));
            }
        }
        for (Instance i : instances) {
            boolean enrolled = !i.nodeName().isEmpty() && registry.find(i.nodeName()).isPresent();
            boolean overdue = firstSeen.getOrDefault(i.instanceId(), now).plus(settings.bootTimeout()).isBefore(now);
            if (!enrolled && (i.failed() || overdue) && failedBootReported.add(i.instanceId())) {
                offerings.allocationFailed(pool.offering(), now, "instance " + i.instanceId() + " did not enrol");
                doomed.add(new Doomed(i, i.nodeName(), i.failed() ? "provisioning failed" : "did not enrol within "
                        + settings.bootTimeout().toMinutes() + " min"));
            }
        }
        doomed.removeIf(d -> deleting.contains(d.instance().instanceId()));
        drained.removeIf(d -> deleting.contains(d.instance().instanceId()));
        for (Doomed d : drained) {
            if (idleConfirmed.contains(d.nodeId())) {
                doomed.add(d);
            } else {
                checkIdle(d.nodeId());
            }
        }
        if (!doomed.isEmpty()) {
            delete(doomed);
        }
    }

    /** Returns true if it asked the scale set for a delete. */
    private boolean seeThroughRemembered() {
        DeleteReconciliation.Plan plan = DeleteReconciliation.plan(remembered, instances);
        remembered.clear();
        remembered.addAll(plan.waiting());
        for (ProvisionJournal.PendingDelete d : plan.complete()) {
            deleting.remove(d.instanceId());
            timeline.record(Timeline.Kind.DELETE, pool.name(), d.nodeId(), "instance " + d.instanceId()
                    + (d.nodeId().isEmpty() ? "" : " (" + d.nodeId() + ")") + " deleted before the restart: " + d.why());
            deleted(d.instanceId(), d.nodeId(), d.why());
        }
        if (plan.redo().isEmpty()) {
            return false;
        }
        Map<String, Instance> byId = new HashMap<>();
        instances.forEach(i -> byId.put(i.instanceId(), i));
        LOGGER.atInfo().addKeyValue("pool", pool.name()).addKeyValue("instances", plan.redo().stream()
                .map(ProvisionJournal.PendingDelete::instanceId).toList())
                .log("deletes asked for before the restart are not under way; asking again");
        delete(plan.redo().stream().map(d -> new Doomed(byId.get(d.instanceId()), d.nodeId(), d.why())).toList());
        return true;
    }

    /**
     * The instance is gone: its node is Deleted, then whatever the engine still shows running on its blade is
     * requeued (a lost node's blade may have taken work until its NIMBY landed; a task handed out between the idle
     * check and the delete is dead with the VM — the engine keeps it active on a vanished blade forever), then the
     * blade is delisted, then nothing is pending.
     */
    private void deleted(String instanceId, String nodeId, String why) {
        if (nodeId.isEmpty()) {
            journal.deleteDone(pool.name(), instanceId);
            return;
        }
        journal.deletePending(new ProvisionJournal.PendingDelete(pool.name(), instanceId, nodeId, why,
                ProvisionJournal.Step.DELIST, clock.instant()));
        registry.mark(nodeId, NodeState.DELETED, "instance " + instanceId + " deleted: " + why);
        listedNodes.remove(nodeId);
        idleConfirmed.remove(nodeId);
        blades.ejectAll(nodeId).transform(e -> blades.delist(nodeId)).onComplete(r -> {
            if (r.succeeded()) {
                journal.deleteDone(pool.name(), instanceId);
            } else {
                LOGGER.atWarn().addKeyValue("nodeId", nodeId).log("delisting the blade of a deleted instance "
                        + "failed; tried again after a restart: " + r.cause().getMessage());
            }
        });
    }

    /**
     * A drained node's VM is deleted only once the render manager, too, shows nothing running on its blade: a
     * task handed out just before NIMBY may still be starting. The check runs beside the pool's work — scale-out
     * and instance listing go on while a blade stays busy (issue 13) — and the next round deletes a node found
     * idle. Unknown (the engine did not answer, or cannot tell which blade is the node's) means wait, and the
     * node's reason says why.
     */
    private void checkIdle(String nodeId) {
        if (!checking.add(nodeId)) {
            return;
        }
        blades.activeTasks(nodeId).onComplete(r -> {
            synchronized (PoolActuator.this) {
                checking.remove(nodeId);
                if (r.succeeded() && r.result() == 0) {
                    idleConfirmed.add(nodeId);
                    return;
                }
                String why = r.succeeded() ? "the render manager still shows " + r.result() + " task(s) on its blade"
                        : r.cause().getMessage();
                LOGGER.atInfo().addKeyValue("nodeId", nodeId).log("drained, but not deleting yet: " + why);
                registry.annotate(nodeId, "agent drained; not deleting yet: " + why);
            }
        });
    }

    /** The VM is no longer in the scale set: whatever ran there is requeued by the queue's own listener. */
    private void gone(NodeSnapshot n) {
        registry.mark(n.id(), NodeState.GONE, "instance no longer in " + scaleSet.describe());
        timeline.record(Timeline.Kind.NODE, pool.name(), n.id(), "node " + n.id() + " is gone: its instance left "
                + "the scale set" + (n.state() == NodeState.EVICTING ? " after the eviction" : ""));
        blades.nimby(n.id(), true); // NIMBY, eject and delist each until the engine confirms (issue 13)
        blades.ejectAll(n.id()).onComplete(r -> blades.delist(n.id()));
    }

    private void scaleOut(int target, String reason) {
        int leaving = 0;
        for (Instance i : instances) {
            NodeState s = i.nodeName().isEmpty() ? null
                    : registry.find(i.nodeName()).map(node -> node.state()).orElse(null);
            if (s != null && LEAVING.contains(s) || deleting.contains(i.instanceId())) {
                leaving++;
            }
        }
        int capacity = target + leaving;
        if (capacity <= instances.size()) {
            return; // never shrink by capacity: the scale set would choose the victim
        }
        int from = instances.size();
        operating = true;
        timeline.record(Timeline.Kind.SCALE, pool.name(), "", "capacity " + from + " -> " + capacity + " ("
                + target + " active" + (leaving > 0 ? " + " + leaving + " leaving" : "") + "): " + reason);
        scaleSet.setCapacity(capacity).onComplete(r -> onCapacitySet(capacity, r));
    }

    private synchronized void onCapacitySet(int capacity, io.vertx.core.AsyncResult<Void> r) {
        operating = false;
        stale = true;
        if (r.failed()) {
            String why = r.cause().getMessage();
            error("setting capacity of " + scaleSet.describe() + " to " + capacity + " failed: " + why);
            if (r.cause() instanceof ScaleSetException e && e.allocationFailure()) {
                offerings.allocationFailed(pool.offering(), clock.instant(), why);
            }
        }
    }

    /** One delete call for every instance that is due, naming exactly those instances. */
    private void delete(List<Doomed> doomed) {
        Instant now = clock.instant();
        for (Doomed d : doomed) { // kept before asking, so a restart sees the delete through, once
            journal.deletePending(new ProvisionJournal.PendingDelete(pool.name(), d.instance().instanceId(),
                    d.nodeId(), d.why(), ProvisionJournal.Step.DELETE, now));
        }
        doomed.forEach(d -> deleting.add(d.instance().instanceId()));
        operating = true;
        scaleSet.delete(doomed.stream().map(d -> d.instance().instanceId()).toList())
                .onComplete(r -> onDeleted(doomed, r));
    }

    private synchronized void onDeleted(List<Doomed> doomed, io.vertx.core.AsyncResult<Void> r) {
        operating = false;
        stale = true;
        if (r.failed()) {
            doomed.forEach(d -> deleting.remove(d.instance().instanceId()));
            doomed.forEach(d -> journal.deleteDone(pool.name(), d.instance().instanceId()));
            error("deleting instance(s) " + doomed.stream().map(d -> d.instance().instanceId()).toList() + " of "
                    + scaleSet.describe() + " failed: " + r.cause().getMessage());
            return;
        }
        for (Doomed d : doomed) {
            String id = d.instance().instanceId();
            timeline.record(Timeline.Kind.DELETE, pool.name(), d.nodeId(), "instance " + id
                    + (d.nodeId().isEmpty() ? "" : " (" + d.nodeId() + ")") + " deleted: " + d.why());
            deleted(id, d.nodeId(), d.why());
        }
    }

    /** Drain on completion (or by a deadline): the blade first stops getting work, then the agent is told. */
    public synchronized boolean drain(String nodeId, long deadlineMillis, String reason) {
        if (!registry.mark(nodeId, NodeState.DRAINING, reason)) {
            return false;
        }
        timeline.record(Timeline.Kind.DRAIN, pool.name(), nodeId, "draining " + nodeId + ": " + reason);
        // NIMBY first, so the blade is given nothing more; then the agent waits for what runs
        blades.nimby(nodeId, true).onComplete(r -> {
            if (r.failed()) {
                LOGGER.atWarn().addKeyValue("nodeId", nodeId).log("NIMBY for a draining blade failed; the agent "
                        + "drains anyway: " + r.cause().getMessage());
            }
            registry.sendDrain(nodeId, deadlineMillis, reason);
        });
        return true;
    }

    private void error(String message) {
        lastError = message;
        LOGGER.atWarn().addKeyValue("pool", pool.name()).log(message);
    }
}
