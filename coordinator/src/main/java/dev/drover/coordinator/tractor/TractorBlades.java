package dev.drover.coordinator.tractor;

import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.provision.BladeControl;
import dev.drover.coordinator.tractor.BladeWork.Action;
import dev.drover.protocol.HostNames;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Orchestration's blade calls, carried out by the Tractor engine as reconciliation until done ({@link BladeWork}):
 * each NIMBY, {@code ejectall} and {@code delist} is retried with capped backoff until the engine confirms it, at
 * once when the engine answers again after an outage, and is sent to the blade(s) the engine actually lists for
 * the node ({@link BladeNames}: FQDN, other case, address). The futures returned complete with the first attempt,
 * so callers never wait out an outage; the work itself carries on.
 */
public final class TractorBlades implements BladeControl {
    private static final Logger LOGGER = LoggerFactory.getLogger(TractorBlades.class);
    private static final Set<NodeState> DEAD = EnumSet.of(NodeState.GONE, NodeState.DELETED, NodeState.EVICTING,
            NodeState.LOST);
    static final long PUMP_MILLIS = 100;

    private final Vertx vertx;
    private final TractorClient client;
    private final BladeList list;
    private final NodeRegistry registry;
    private final Clock clock;
    private final long bladeMaxAgeMillis;
    private final BladeWork work = new BladeWork(Duration.ofMillis(500), Duration.ofSeconds(10));
    private final Map<String, List<Promise<Void>>> firstAttempt = new HashMap<>();
    private final Map<String, BladeNames.NodeNames> lastNames = new ConcurrentHashMap<>();
    private long timer = -1;
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);
    private Instant lastPrune = Instant.EPOCH;

    /** @param bladeMaxAgeMillis how old a blade list may be when resolving names and counting slots in use */
    public TractorBlades(Vertx vertx, TractorClient client, BladeList list, NodeRegistry registry, Clock clock,
            long bladeMaxAgeMillis) {
        this.vertx = vertx;
        this.client = client;
        this.list = list;
        this.registry = registry;
        this.clock = clock;
        this.bladeMaxAgeMillis = bladeMaxAgeMillis;
    }

    public void start() {
        client.onAnswer(() -> work.engineAnswered(clock.instant()));
        timer = vertx.setPeriodic(PUMP_MILLIS, t -> pump());
    }

    public void stop() {
        vertx.cancelTimer(timer);
    }

    /** Blade work not yet confirmed by the engine ("node: EJECT (3 failure(s): ...)"). */
    public List<String> outstanding() {
        return work.outstanding();
    }

    @Override
    public Future<Void> nimby(String nodeId, boolean on) {
        if (!on) {
            List<Action> withdrawn = work.backInService(nodeId, clock.instant());
            if (withdrawn == null) {
                return Future.succeededFuture(); // not NIMBY'd by Drover, or its VM is gone and its blade delisted
            }
            for (Action open : withdrawn) {
                answer(nodeId, open, new IllegalStateException("withdrawn: " + nodeId + " is back in service"));
            }
            return want(nodeId, Action.UNNIMBY);
        }
        return want(nodeId, Action.NIMBY);
    }

    @Override
    public Future<Void> ejectAll(String nodeId) {
        return want(nodeId, Action.EJECT);
    }

    @Override
    public Future<Void> delist(String nodeId) {
        return want(nodeId, Action.DELIST);
    }

    /**
     * Slots in use ({@code siu}) on the node's blade(s), from a list read after the engine confirmed the blade's
     * NIMBY and after the node entered its state, so a task handed out just before NIMBY is seen. Until NIMBY is
     * confirmed the answer is a failure: a blade that may still take work is not idle (an engine that answered
     * garbage through a drain handed the blade a task after an earlier list showed it idle, and the VM was deleted
     * under it). A node whose blade is not listed counts as idle only if every busy blade in the list belongs to
     * some other Drover node; otherwise the engine may show work on it under a name Drover does not recognise, and
     * the answer is a failure saying so.
     */
    @Override
    public Future<Integer> activeTasks(String nodeId) {
        Instant now = clock.instant();
        java.util.Optional<Instant> nimbied = work.confirmedAt(nodeId, Action.NIMBY);
        if (nimbied.isEmpty()) {
            want(nodeId, Action.NIMBY); // asked for with the drain; asked again if it was forgotten
            return Future.failedFuture(new TractorException(0, "the engine has not confirmed the NIMBY of the blade of "
                    + nodeId + " yet; it may still take work"));
        }
        Instant since = registry.find(nodeId).map(n -> n.snapshot().stateSince()).orElse(now);
        Instant notBefore = since.isAfter(nimbied.get()) ? since : nimbied.get();
        if (notBefore.isBefore(now.minusMillis(bladeMaxAgeMillis))) {
            notBefore = now.minusMillis(bladeMaxAgeMillis);
        }
        return list.readAfter(notBefore).map(s -> {
            List<NodeSnapshot> nodes = registry.snapshot();
            List<BladeInfo> mine = find(s.blades(), nodeId);
            if (!mine.isEmpty()) {
                return mine.stream().mapToInt(BladeInfo::slotsInUse).sum();
            }
            if (s.truncated()) {
                throw new TractorException(0, "blade of " + nodeId + " not found in the engine's blade list, which the "
                        + "engine truncated; not deleting while it may show work there");
            }
            List<String> unknownBusy = new ArrayList<>();
            for (BladeInfo b : s.blades()) {
                if (b.slotsInUse() > 0 && nodes.stream().noneMatch(n -> !BladeNames.find(List.of(b), names(n)).isEmpty())) {
                    unknownBusy.add(b.hnm());
                }
            }
            if (!unknownBusy.isEmpty()) {
                throw new TractorException(0, "blade of " + nodeId + " not found in the engine's blade list, and "
                        + unknownBusy.size() + " busy blade(s) there are not Drover's (" + String.join(", ",
                                unknownBusy.subList(0, Math.min(5, unknownBusy.size()))) + "); not deleting while "
                        + "the engine may show work on it");
            }
            return 0;
        });
    }

    /** Tasks running on each pool's live nodes, by their blades' {@code siu}: what keeps those nodes in demand. */
    public Map<String, Integer> activeByPool(List<BladeInfo> blades, List<NodeSnapshot> nodes) {
        Map<String, Integer> byPool = new HashMap<>();
        Claims claims = new Claims();
        for (NodeSnapshot n : nodes) {
            if (n.identity() == null || DEAD.contains(n.state())) {
                continue; // tasks on a dead blade are not demand: they are ejected and come back as ready
            }
            int siu = find(blades, names(n), claims).stream().mapToInt(BladeInfo::slotsInUse).sum();
            if (siu > 0) {
                byPool.merge(n.identity().pool(), siu, Integer::sum);
            }
        }
        return byPool;
    }

    private Future<Void> want(String nodeId, Action action) {
        names(nodeId); // remember the names and address while the agent is still connected
        Promise<Void> p = Promise.promise();
        synchronized (firstAttempt) {
            firstAttempt.computeIfAbsent(nodeId + " " + action, k -> new ArrayList<>()).add(p);
        }
        if (work.want(nodeId, action, clock.instant())) {
            answer(nodeId, Action.UNNIMBY, new IllegalStateException("withdrawn: " + nodeId + " is leaving again"));
        }
        if (work.done(nodeId, action)) {
            answer(nodeId, action, null);
        }
        vertx.runOnContext(v -> pump());
        return p.future();
    }

    private void pump() {
        Instant now = clock.instant();
        work.forgetDoneBefore(now.minus(NodeRegistry.FORGET_AFTER));
        if (now.isAfter(lastPrune.plus(PRUNE_EVERY))) {
            lastPrune = now;
            lastNames.keySet().removeIf(id -> registry.find(id).isEmpty() && !work.knows(id)); // bounded memory
        }
        for (BladeWork.Due d : work.due(now)) {
            attempt(d.nodeId(), d.action());
        }
    }

    /**
     * One try at an action on every blade the engine lists for the node ({@link #resolve}: none means nothing to do).
     */
    private void attempt(String nodeId, Action action) {
        // join, not all: the outcome is reported once every call is over, so the next action cannot overtake one
        resolve(nodeId, action).compose(ids -> Future.join(ids.stream().map(id -> call(action, id)
                        .recover(e -> gone(e, id, nodeId) ? Future.succeededFuture() : Future.failedFuture(e)))
                        .toList()))
                .onComplete(r -> {
                    Instant now = clock.instant();
                    if (r.succeeded()) {
                        work.succeeded(nodeId, action, now);
                        LOGGER.atInfo().addKeyValue("nodeId", nodeId).addKeyValue("action", action)
                                .log("engine confirmed blade action");
                        answer(nodeId, action, null);
                    } else {
                        String why = r.cause().getMessage();
                        work.failed(nodeId, action, now, why, r.cause() instanceof TractorException te
                                && te.status() == 0);
                        LOGGER.atWarn().addKeyValue("nodeId", nodeId).addKeyValue("action", action)
                                .log("blade action not confirmed; retrying with backoff: " + why);
                        answer(nodeId, action, r.cause());
                    }
                });
    }

    /**
     * A 404 for the node id itself (tried from a truncated list) once the node's VM is gone: the engine knows no such
     * blade, so nothing is left to do (else a gone node missing from a truncated list would hold its delist forever).
     */
    private boolean gone(Throwable e, String id, String nodeId) {
        return e instanceof TractorException te && te.status() == 404 && id.equals(nodeId)
                && settledSince(nodeId) != null;
    }

    private Future<Void> call(Action action, String bladeId) {
        return switch (action) {
            case NIMBY -> client.nimby(bladeId, true);
            case EJECT -> client.ejectAll(bladeId);
            case DELIST -> client.delist(bladeId);
            case UNNIMBY -> client.nimby(bladeId, false);
        };
    }

    /**
     * The blade ids the engine lists for the node; from a truncated list that shows none, the node id itself. An
     * empty answer means nothing to do, and is given only when it is settled: for an un-NIMBY at once (no blade,
     * none NIMBY'd), otherwise once the node's VM is gone or the node drained, from a list read after that (one read
     * settles every node gone before it). While the VM lives its blade may still register and take work — a Spot VM
     * preempted just after boot did, after its NIMBY and eject had "succeeded" against no blade; its task died with
     * the VM and stayed active on the dead blade — so the attempt fails and is tried again with backoff, from the
     * lists read anyway (no extra engine load per try). If the list cannot be read the attempt fails: a guessed name
     * would only draw a wrong answer.
     */
    private Future<List<String>> resolve(String nodeId, Action action) {
        return list.get(bladeMaxAgeMillis).compose(s -> {
            List<String> ids = ids(s, nodeId);
            if (!ids.isEmpty() || action == Action.UNNIMBY) {
                return Future.succeededFuture(ids);
            }
            Instant settled = settledSince(nodeId);
            if (settled == null) {
                return Future.failedFuture(new TractorException(404, action + ": the engine lists no blade of "
                        + nodeId + " (not registered yet?); trying again while its VM lives"));
            }
            return s.at().isBefore(settled) ? list.readAfter(settled).map(fresh -> ids(fresh, nodeId))
                    : Future.succeededFuture(ids);
        });
    }

    private List<String> ids(BladeList.Snapshot s, String nodeId) {
        List<String> ids = find(s.blades(), nodeId).stream().map(BladeInfo::id).toList();
        return ids.isEmpty() && s.truncated() ? List.of(nodeId) : ids;
    }

    /**
     * Since when no new blade of the node can take work: its VM gone (Gone, Deleted, or forgotten), or drained — about
     * to be deleted, and a blade registering in between has its work ejected right after the delete
     * (PoolActuator.deleted); waiting for it would keep the VM for good. Null while its VM lives.
     */
    private Instant settledSince(String nodeId) {
        var node = registry.find(nodeId);
        if (node.isEmpty()) {
            return Instant.EPOCH;
        }
        NodeSnapshot n = node.get().snapshot();
        return n.state() == NodeState.GONE || n.state() == NodeState.DELETED || n.state() == NodeState.DRAINED
                ? n.stateSince() : null;
    }

    private void answer(String nodeId, Action action, Throwable error) {
        List<Promise<Void>> waiting;
        synchronized (firstAttempt) {
            waiting = firstAttempt.remove(nodeId + " " + action);
        }
        if (waiting != null) {
            waiting.forEach(p -> {
                if (error == null) {
                    p.tryComplete();
                } else {
                    p.tryFail(error);
                }
            });
        }
    }

    private List<BladeInfo> find(List<BladeInfo> blades, String nodeId) {
        return find(blades, names(nodeId), new Claims());
    }

    private static List<BladeInfo> find(List<BladeInfo> blades, BladeNames.NodeNames node, Claims claims) {
        return BladeNames.find(blades, node, b -> claims.another(BladeNames.label(b.hnm()), node.nodeId()));
    }

    /**
     * Which node each name label belongs to — every node's id and the host names nodes stated — built once, on
     * first use, for one pass over many nodes (a blade named for another node is never this one's by address).
     */
    private final class Claims {
        private static final String SEVERAL = "";
        private Map<String, String> owners;

        boolean another(String label, String nodeId) {
            if (label.isEmpty()) {
                return false;
            }
            if (owners == null) {
                owners = new HashMap<>();
                registry.nodes().forEach(n -> claim(BladeNames.label(n.id()), n.id()));
                lastNames.values().forEach(o -> o.hostNames().forEach(h -> claim(BladeNames.label(h), o.nodeId())));
            }
            String owner = owners.get(label);
            return owner != null && !owner.equals(nodeId);
        }

        private void claim(String label, String nodeId) {
            if (!label.isEmpty()) {
                owners.merge(label, nodeId, (a, b) -> a.equals(b) ? a : SEVERAL);
            }
        }
    }

    BladeNames.NodeNames names(String nodeId) { // package-private for HostNamesRestartTest
        return registry.find(nodeId).map(n -> names(n.snapshot()))
                .orElse(lastNames.getOrDefault(nodeId, new BladeNames.NodeNames(nodeId, "", "")));
    }

    /**
     * The node's names: id, computer name, the host names and addresses its agent last stated, and the address it
     * connects from. Remembered, so a node that disconnected (evicted, lost) is still found by all of them.
     */
    private BladeNames.NodeNames names(NodeSnapshot n) {
        BladeNames.NodeNames before = lastNames.get(n.id());
        HostNames stated = n.hostNames(); // the last stated, also from before a coordinator restart
        List<String> hostNames = stated.isEmpty() && before != null ? before.hostNames() : stated.names();
        Set<String> addresses = new LinkedHashSet<>(stated.isEmpty() && before != null ? before.addresses()
                : stated.addresses());
        String connected = BladeNames.hostOf(n.remoteAddress());
        if (!connected.isEmpty()) {
            addresses.add(connected);
        } else if (before != null) {
            addresses.addAll(before.addresses()); // disconnected: the address it last connected from still counts
        }
        BladeNames.NodeNames names = new BladeNames.NodeNames(n.id(),
                n.identity() != null ? n.identity().computerName() : "", hostNames, List.copyOf(addresses));
        lastNames.put(n.id(), names);
        return names;
    }
}
