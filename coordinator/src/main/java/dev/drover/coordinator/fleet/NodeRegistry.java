package dev.drover.coordinator.fleet;

import dev.drover.protocol.ByeReason;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.InboundSequence;
import dev.drover.protocol.Message;
import dev.drover.protocol.MountHealth;
import dev.drover.protocol.MountState;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskProgress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Every node the coordinator knows, by node id, and the rules for what agent messages do to them. A node
 * is never duplicated: a restarted agent, or one that reconnects, finds its existing entry.
 */
public final class NodeRegistry {
    private final ConcurrentHashMap<String, Node> nodes = new ConcurrentHashMap<>();
    private final Clock clock;
    private final LivenessSettings liveness;
    private final int commandCapacity;

    private final java.util.List<FleetListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.Executor events;
    private volatile NodeJournal journal = NodeJournal.NONE;

    public NodeRegistry(Clock clock, LivenessSettings liveness, int commandCapacity) {
        this(clock, liveness, commandCapacity, java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fleet-events");
            t.setDaemon(true);
            return t;
        }));
    }

    /** @param events runs listeners, one event at a time in order (a direct executor in unit tests) */
    public NodeRegistry(Clock clock, LivenessSettings liveness, int commandCapacity, java.util.concurrent.Executor events) {
        this.clock = clock;
        this.liveness = liveness;
        this.commandCapacity = commandCapacity;
        this.events = events;
    }

    /** Where node state is kept across restarts; set once, before the first agent connects. */
    public void setJournal(NodeJournal journal) {
        this.journal = journal;
    }

    /**
     * Puts back the nodes remembered from before a restart, each in the state it had, not yet heard from: they
     * take no work until their agent reconnects, and silence from now on makes them Suspect, then Lost, as
     * usual. Returns how many were restored.
     */
    public int restore(List<NodeJournal.RememberedNode> remembered) {
        Instant now = clock.instant();
        for (NodeJournal.RememberedNode r : remembered) {
            String id = r.node().id();
            nodes.put(id, new Node(r, now, commandCapacity, (node, t) -> {
                String pool = node.pool();
                publish(l -> l.transitioned(id, pool, t));
            }, journal));
        }
        return remembered.size();
    }

    public void addListener(FleetListener listener) {
        listeners.add(listener);
    }

    private void publish(java.util.function.Consumer<FleetListener> event) {
        if (!listeners.isEmpty()) {
            events.execute(() -> {
                for (FleetListener l : listeners) {
                    try {
                        event.accept(l);
                    } catch (RuntimeException e) {
                        org.slf4j.LoggerFactory.getLogger(NodeRegistry.class).atError().setCause(e)
                                .log("fleet listener failed; other listeners still run");
                    }
                }
            });
        }
    }

    private Node newNode(String id, Instant now) {
        return new Node(id, now, commandCapacity,
                (node, t) -> {
                    String pool = node.pool();
                    publish(l -> l.transitioned(id, pool, t));
                }, journal);
    }

    /** Binds an accepted Hello to its node (creating it on first sight) and greets the agent. */
    public Node.Binding enrol(Hello hello, int version, AgentLink link, Function<Node.Binding, Message> greeting) {
        Instant now = clock.instant();
        String nodeId = hello.identity().nodeId();
        Node node = nodes.computeIfAbsent(nodeId, id -> newNode(id, now));
        Node.Binding binding = node.bind(hello, version, link, "s-" + UUID.randomUUID(), now, greeting);
        binding.replaced().ifPresent(old -> old.close(ByeReason.SUPERSEDED, "a newer connection for this node"));
        if (!node.state().isSticky()) {
            node.transition(NodeState.READY, binding.resumed() ? "session resumed from " + link.remoteAddress()
                    : "enrolled from " + link.remoteAddress() + " (new session)", now);
        }
        return binding;
    }

    public void heartbeat(Node node, Heartbeat hb) {
        Instant now = clock.instant();
        node.heartbeat(hb, now);
        NodeState state = node.state();
        if (state.isSticky()) {
            return;
        }
        if (hb.state() == dev.drover.protocol.AgentState.STOPPING) {
            // The agent process is stopping (SIGTERM: systemd, a reboot): no new work for it; it comes back
            // Ready with the first heartbeat of its next process, or goes Lost if it stays away.
            node.transition(NodeState.SUSPECT, "agent stopping", now);
            return;
        }
        Optional<String> mountProblem = mountProblem(hb);
        if (mountProblem.isPresent()) {
            node.transition(NodeState.UNHEALTHY, mountProblem.get(), now);
            return;
        }
        NodeState target = hb.runningTasks() > 0 ? NodeState.BUSY : NodeState.READY;
        String reason = state == NodeState.SUSPECT || state == NodeState.LOST ? "heartbeat resumed"
                : state == NodeState.UNHEALTHY ? "mounts healthy again"
                : hb.runningTasks() > 0 ? hb.runningTasks() + " task(s) running" : "no task running";
        node.transition(target, reason, now);
    }

    /** A node whose shared storage is missing, stale or unreachable must not take work (DESIGN.md flow 6). */
    static Optional<String> mountProblem(Heartbeat hb) {
        for (MountHealth m : hb.mounts()) {
            if (m.state() != MountState.OK && m.state() != MountState.SLOW) {
                return Optional.of("mount " + m.mountPoint() + " " + m.state()
                        + (m.detail().isEmpty() ? "" : ": " + m.detail()));
            }
        }
        return Optional.empty();
    }

    /**
     * Applies a reliable event from an agent. Exactly-once is the caller's job: the gateway's delivery ledger
     * has already dropped duplicates (a resend after a reconnect) by stream and sequence.
     */
    public void reliable(Node node, Reliable event) {
        reliable(node, event, () -> { });
    }

    /**
     * Applies a reliable event and runs {@code keepPosition} (the delivery ledger's record) in the same
     * transaction. False when it could not be kept: nothing is applied, the link is closed, no Ack may go out.
     */
    public boolean reliable(Node node, Reliable event, Runnable keepPosition) {
        Instant now = clock.instant();
        node.touch(now);
        List<Runnable> afterwards = new ArrayList<>(1);
        try {
            // The event's effects and the ledger position are kept in one transaction before the caller
            // acknowledges it, so after a crash the agent resends exactly what was not applied.
            journal.atomically(() -> {
                apply(node, event, now, afterwards);
                keepPosition.run();
            });
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(NodeRegistry.class).atError().addKeyValue("nodeId", node.id())
                    .addKeyValue("seq", event.seq()).setCause(e)
                    .log("cannot keep an agent event; not acknowledging it, the agent will resend it");
            node.closeLink(ByeReason.SHUTDOWN, "coordinator cannot keep state: " + e.getMessage());
            return false;
        }
        afterwards.forEach(Runnable::run);
        return true;
    }

    private void apply(Node node, Reliable event, Instant now, List<Runnable> afterwards) {
        if (event instanceof EvictionNotice notice) {
            onEviction(node, notice, now);
        } else if (event instanceof dev.drover.protocol.EvictionEnded ended) {
            onEvictionEnded(node, ended, now);
        } else if (event instanceof dev.drover.protocol.TaskStarted started) {
            node.taskStarted(started);
        } else if (event instanceof dev.drover.protocol.TaskFinished finished) {
            node.taskFinished(finished);
            String pool = node.pool();
            afterwards.add(() -> publish(l -> l.taskFinished(node.id(), pool, finished)));
        } else if (event instanceof DrainState ds && ds.phase() == DrainPhase.DRAINED) {
            node.transition(NodeState.DRAINED, "agent drained: no task running", now);
        } else if (event instanceof DrainState ds && ds.phase() == DrainPhase.CANCELLED) {
            node.transition(NodeState.READY, "drain cancelled", now);
        }
    }

    /** The agent processed every command up to {@code seq}; they need not be resent. */
    public void commandsAcknowledged(Node node, long seq) {
        node.acknowledgeCommands(seq);
        node.touch(clock.instant());
    }

    /** Latest-value task progress. */
    public void progress(Node node, TaskProgress progress) {
        node.touch(clock.instant());
        node.taskProgress(progress);
    }

    /** Any sign of life that carries no news. */
    public void alive(Node node) {
        node.touch(clock.instant());
    }

    private void onEviction(Node node, EvictionNotice notice, Instant now) {
        node.eviction(notice);
        String pool = node.pool();
        publish(l -> l.evictionNotice(node.id(), pool, notice));
        if (notice.eventType() == EvictionType.PREEMPT || notice.eventType() == EvictionType.TERMINATE) {
            String notBefore = notice.notBeforeMillis() > 0 ? Instant.ofEpochMilli(notice.notBeforeMillis()).toString()
                    : "now";
            node.transition(NodeState.EVICTING, notice.eventType() + " notice " + notice.eventId() + ", not before "
                    + notBefore, now);
        }
    }

    /**
     * The event behind a notice has gone while the VM still runs: a Freeze or Reboot is over (its notice is no
     * longer shown), or Azure cancelled a Preempt/Terminate, and an Evicting node is Ready again (heartbeats
     * then make it Busy if tasks run). Nothing else undoes an eviction, so without this the node would stay
     * Evicting, idle, for good.
     */
    private void onEvictionEnded(Node node, dev.drover.protocol.EvictionEnded ended, Instant now) {
        boolean shown = node.clearEviction(ended.eventId());
        boolean removing = ended.eventType() == EvictionType.PREEMPT || ended.eventType() == EvictionType.TERMINATE;
        if (shown && removing && node.state() == NodeState.EVICTING) {
            node.transition(NodeState.READY, "eviction cancelled: " + ended.eventType() + " " + ended.eventId()
                    + " ended without taking the VM", now);
        }
    }

    /** Called when a connection closes; the node keeps its state and the liveness sweep decides from silence. */
    public void disconnected(Node node, AgentLink link, Optional<String> byeReason) {
        if (node.unbind(link) && byeReason.isPresent() && node.state().expectsHeartbeats()
                && node.state() != NodeState.DRAINED) {
            node.transition(NodeState.SUSPECT, "agent said goodbye: " + byeReason.get(), clock.instant());
        }
    }

    /** Deleted and Gone nodes are kept this long for the API and dashboard, then forgotten (bounded memory). */
    public static final java.time.Duration FORGET_AFTER = java.time.Duration.ofHours(1);

    /** Moves silent nodes to Suspect, Lost or Gone, and forgets long-departed ones. Returns how many changed. */
    public int sweep() {
        Instant now = clock.instant();
        int changed = 0;
        nodes.values().removeIf(n -> {
            boolean forget = n.departedBefore(now.minus(FORGET_AFTER));
            if (forget) {
                journal.forget(n.id());
            }
            return forget;
        });
        for (Node node : nodes.values()) {
            var decision = Liveness.evaluate(node.state(), node.lastSeen(), now, liveness, node.notHeardFrom());
            if (decision.isPresent() && node.transition(decision.get().to(), decision.get().reason(), now)) {
                changed++;
            }
        }
        return changed;
    }

    /**
     * Starts draining a node: no new work, running tasks finish (ON_COMPLETION) or stop at a deadline. The
     * agent answers DRAINED when nothing runs. Refused (false) for a node that is leaving anyway.
     */
    public boolean drain(String nodeId, long deadlineMillis, String reason) {
        return mark(nodeId, NodeState.DRAINING, reason) && sendDrain(nodeId, deadlineMillis, reason);
    }

    /** Tells a node's agent to drain (after the node was marked Draining, and its blade NIMBYed). */
    public boolean sendDrain(String nodeId, long deadlineMillis, String reason) {
        Node node = nodes.get(nodeId);
        if (node == null || node.state() != NodeState.DRAINING) {
            return false;
        }
        dev.drover.protocol.DrainMode mode = deadlineMillis > 0 ? dev.drover.protocol.DrainMode.DEADLINE
                : dev.drover.protocol.DrainMode.ON_COMPLETION;
        node.sendCommand(seq -> new dev.drover.protocol.Drain(seq, mode, deadlineMillis, reason));
        return true;
    }

    /** Moves a node to {@code to} for a reason the fleet did not hear from the agent (scale set, operator). */
    public boolean mark(String nodeId, NodeState to, String reason) {
        Node node = nodes.get(nodeId);
        return node != null && node.transition(to, reason, clock.instant());
    }

    /** Updates the reason of a node's current state without a transition (e.g. why a drained VM is kept). */
    public boolean annotate(String nodeId, String reason) {
        Node node = nodes.get(nodeId);
        return node != null && node.annotate(reason);
    }

    public Optional<Node> find(String nodeId) {
        return Optional.ofNullable(nodes.get(nodeId));
    }

    public List<NodeSnapshot> snapshot() {
        List<NodeSnapshot> list = new ArrayList<>(nodes.size());
        for (Node node : nodes.values()) {
            list.add(node.snapshot());
        }
        list.sort(Comparator.comparing(NodeSnapshot::id));
        return list;
    }

    public int size() {
        return nodes.size();
    }
}
