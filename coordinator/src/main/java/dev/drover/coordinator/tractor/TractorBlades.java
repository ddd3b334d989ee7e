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
    /** Marks a node id sent as a blade name because a complete blade list showed no blade of that node. */
    private static final String UNLISTED = "\u0000unlisted:";

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
                return Future.succeededFuture(); // its VM is gone and its blade being delisted
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
        for (NodeSnapshot n : nodes) {
            if (n.identity() == null || DEAD.contains(n.state())) {
                continue; // tasks on a dead blade are not demand: they are ejected and come back as ready
            }
            int siu = find(blades, names(n)).stream().mapToInt(BladeInfo::slotsInUse).sum();
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
        work.want(nodeId, action, clock.instant());
        if (work.done(nodeId, action)) {
            answer(nodeId, action, null);
        }
        vertx.runOnContext(v -> pump());
        return p.future();
    }

    private void pump() {
        Instant now = clock.instant();
        work.forgetDoneBefore(now.minus(NodeRegistry.FORGET_AFTER));
        for (BladeWork.Due d : work.due(now)) {
            attempt(d.nodeId(), d.action());
        }
    }

    /**
     * One try at an action on every blade the engine lists for the node. When it lists none, the node id is tried;
     * a 404 then means the engine knows no such blade. That is "nothing to do" only once the node's VM is gone:
     * while it lives, its blade may register a moment later and take work (a Spot VM preempted right after boot
     * did: its NIMBY and eject "succeeded" against no blade, its blade then took a task that died with the VM and
     * stayed active on it forever), so the action stays pending and is tried again.
     * <b>(verify)</b> that a real engine answers an unknown blade with 404 (the fake does).
     */
    private void attempt(String nodeId, Action action) {
        resolve(nodeId).compose(ids -> Future.all(ids.stream().map(id -> call(action, id)
                        .recover(e -> id.equals(UNLISTED + nodeId) && e instanceof TractorException te
                                && te.status() == 404 ? unlisted(nodeId, action) : Future.failedFuture(e))).toList()))
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

    private Future<Void> unlisted(String nodeId, Action action) {
        NodeState state = registry.find(nodeId).map(n -> n.state()).orElse(NodeState.GONE);
        if (action == Action.UNNIMBY) {
            return Future.succeededFuture(); // no blade, so none NIMBY'd
        }
        if (state == NodeState.GONE || state == NodeState.DELETED) {
            return Future.succeededFuture(); // the VM is gone: no blade of it can register any more
        }
        if (state == NodeState.DRAINED) {
            // drained with no blade: it is about to be deleted, and a blade registering in between has its work
            // ejected right after the delete (PoolActuator.deleted); waiting for it would keep the VM for good
            return Future.succeededFuture();
        }
        return Future.failedFuture(new TractorException(404, action + ": the engine lists no blade of " + nodeId
                + " (not registered yet?); trying again while its VM lives"));
    }

    private static String bladeName(String id) {
        return id.startsWith(UNLISTED) ? id.substring(UNLISTED.length()) : id;
    }

    private Future<Void> call(Action action, String id) {
        String bladeId = bladeName(id);
        return switch (action) {
            case NIMBY -> client.nimby(bladeId, true);
            case EJECT -> client.ejectAll(bladeId);
            case DELIST -> client.delist(bladeId);
            case UNNIMBY -> client.nimby(bladeId, false);
        };
    }

    /**
     * The blade ids the engine lists for the node. If a complete list read after this attempt began has none, the
     * node id marked {@link #UNLISTED} (see {@link #attempt}); from a truncated list, the plain node id. If the list
     * cannot be read the attempt fails: a guessed name would only draw a wrong answer.
     */
    private Future<List<String>> resolve(String nodeId) {
        Instant asked = clock.instant();
        return list.get(bladeMaxAgeMillis).compose(s -> {
            List<String> ids = find(s.blades(), nodeId).stream().map(BladeInfo::id).toList();
            if (!ids.isEmpty() || !s.at().isBefore(asked)) {
                return Future.succeededFuture(idsOrUnlisted(ids, s, nodeId));
            }
            // not in a list that may predate the blade (even by a moment): read one before concluding it is unknown
            return list.readAfter(asked).map(fresh -> idsOrUnlisted(find(fresh.blades(), nodeId)
                    .stream().map(BladeInfo::id).toList(), fresh, nodeId));
        });
    }

    private static List<String> idsOrUnlisted(List<String> ids, BladeList.Snapshot s, String nodeId) {
        return ids.isEmpty() ? List.of(s.truncated() ? nodeId : UNLISTED + nodeId) : ids;
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
        return find(blades, names(nodeId));
    }

    private List<BladeInfo> find(List<BladeInfo> blades, BladeNames.NodeNames node) {
        return BladeNames.find(blades, node, b -> namesAnotherNode(b, node.nodeId()));
    }

    /** Whether the blade's name is another node's id or a host name another node stated. */
    private boolean namesAnotherNode(BladeInfo blade, String nodeId) {
        for (var n : registry.nodes()) {
            if (!n.id().equals(nodeId) && BladeNames.nameMatches(blade.hnm(), n.id())) {
                return true;
            }
        }
        for (BladeNames.NodeNames other : lastNames.values()) {
            if (!other.nodeId().equals(nodeId) && other.hostNames().stream()
                    .anyMatch(h -> BladeNames.nameMatches(blade.hnm(), h))) {
                return true;
            }
        }
        return false;
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
