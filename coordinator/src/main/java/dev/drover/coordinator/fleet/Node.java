package dev.drover.coordinator.fleet;

import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.Hello;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Outbox;
import dev.drover.protocol.Reliable;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the coordinator knows about one render node, and the only place its state changes. Methods
 * are synchronized because a node is touched by its agent's connection and by the API, liveness sweep and
 * scaler on other threads; contention is one connection per node, so this costs nothing measurable.
 */
public final class Node {
    private static final Logger LOGGER = LoggerFactory.getLogger(Node.class);
    private static final int HISTORY = 32;
    /**
     * Tasks shown as running on one node at most. Far above any real node's slots; it bounds what an enrolled
     * but misbehaving agent can make the coordinator keep with TaskStarted/TaskProgress for tasks it invents
     * (the fuzz run found the map unbounded: 100,000 cases filled a 128 MiB heap).
     */
    static final int MAX_RUNNING_TASKS = 256;

    private final String id;
    private final ArrayDeque<Transition> history = new ArrayDeque<>();
    private final Outbox<Reliable> commands;
    private final int commandCapacity;
    private final NodeJournal journal;
    /** Grows with every change that is written to the journal, so the store keeps the newest. */
    private long version;
    /**
     * Grows with every change a reader could show (state, heartbeat, tasks, eviction, connection), so a
     * reader that keeps what it last saw (the dashboard stream) copies only the nodes that changed.
     */
    private volatile long changes;
    /** Remembered across a coordinator restart, and its agent has not reconnected since. */
    private boolean notHeardFrom;
    private NodeIdentity identity;
    private String agentVersion = "";
    private int protocolVersion;
    private int slots;
    private int gpus;
    private NodeState state;
    private String stateReason;
    private Instant stateSince;
    private Instant lastSeen;
    private Instant enrolledAt;
    private Heartbeat lastHeartbeat;
    private Instant lastHeartbeatAt;
    /** The host names the agent last stated; kept by the journal, so they are known again after a restart. */
    private HostNames hostNames = HostNames.NONE;
    private EvictionNotice eviction;
    private String sessionId = "";
    private AgentLink link;
    private final java.util.LinkedHashMap<dev.drover.protocol.TaskRef, TaskView> runningTasks =
            new java.util.LinkedHashMap<>();
    private final ArrayDeque<TaskView> recentTasks = new ArrayDeque<>();

    private final java.util.function.BiConsumer<Node, Transition> observer;

    Node(String id, Instant now, int commandCapacity, java.util.function.BiConsumer<Node, Transition> observer) {
        this(id, now, commandCapacity, observer, NodeJournal.NONE);
    }

    Node(String id, Instant now, int commandCapacity, java.util.function.BiConsumer<Node, Transition> observer,
            NodeJournal journal) {
        this.id = id;
        this.observer = observer;
        this.journal = journal;
        this.commandCapacity = commandCapacity;
        this.state = NodeState.ENROLLING;
        this.stateReason = "first hello";
        this.stateSince = now;
        this.lastSeen = now;
        this.commands = new Outbox<>(commandCapacity);
    }

    /**
     * A node remembered from before a coordinator restart, in the state it had. {@code lastSeen} is the restart,
     * so silence is counted from then: an agent has the usual Suspect and Lost times to reconnect.
     */
    Node(NodeJournal.RememberedNode r, Instant now, int commandCapacity,
            java.util.function.BiConsumer<Node, Transition> observer, NodeJournal journal) {
        NodeJournal.NodeRecord n = r.node();
        this.id = n.id();
        this.observer = observer;
        this.journal = journal;
        this.commandCapacity = commandCapacity;
        this.version = n.version();
        this.identity = n.identity();
        this.agentVersion = n.agentVersion();
        this.protocolVersion = n.protocolVersion();
        this.slots = n.slots();
        this.gpus = n.gpus();
        this.state = n.state();
        this.stateReason = n.stateReason();
        this.stateSince = n.stateSince();
        this.enrolledAt = n.enrolledAt();
        this.eviction = n.eviction();
        this.hostNames = r.hostNames();
        this.lastSeen = now;
        this.notHeardFrom = true;
        // A new session (sessions only name the agent process); the command stream goes on where it was, so the
        // agent's position in it still counts and pending commands are resent with their own numbers.
        this.commands = r.commandStreamId().isEmpty() ? new Outbox<>(commandCapacity)
                : new Outbox<>(r.commandStreamId(), commandCapacity, r.commandSeq(), 0, r.pendingCommands());
        r.history().forEach(this.history::addLast);
        r.running().forEach(t -> runningTasks.put(t.task(), t));
    }

    /** What the journal keeps of this node; the caller holds the lock and has just changed something. */
    private NodeJournal.NodeRecord record() {
        version++;
        return new NodeJournal.NodeRecord(id, version, identity, agentVersion, protocolVersion, slots, gpus, state,
                stateReason, stateSince, enrolledAt, eviction);
    }

    public String id() {
        return id;
    }

    /** Moves to {@code to} for {@code reason}; a no-op if already there, refused if the move is illegal. */
    public synchronized boolean transition(NodeState to, String reason, Instant at) {
        if (to == state) {
            return false;
        }
        if (!state.canMoveTo(to)) {
            LOGGER.atWarn().addKeyValue("nodeId", id).addKeyValue("from", state).addKeyValue("to", to)
                    .addKeyValue("reason", reason).log("illegal node transition refused");
            return false;
        }
        Transition t = new Transition(state, to, reason, at);
        if (history.size() == HISTORY) {
            history.removeFirst();
        }
        history.addLast(t);
        changes++;
        state = to;
        stateReason = reason;
        stateSince = at;
        if (identity != null) { // a node is written from its first Hello on
            if (livenessOnly(t)) {
                journal.eventually(() -> journal.livenessMove(record(), t));
            } else {
                journal.atomically(() -> {
                    journal.node(record());
                    journal.transition(id, t);
                });
            }
        }
        StateChangeLog.transition(id, t);
        observer.accept(this, t);
        return true;
    }

    /**
     * Ready, Busy and Suspect among themselves: what heartbeats and silence decide, thousands a second after a
     * stall, and what a restart re-learns from the first heartbeat (restored nodes are not heard from yet). Kept
     * off the caller's thread: written on the gateway's event loop they made a stall feed itself (every late
     * heartbeat a commit, so later heartbeats, more Suspects). Every other move (Lost, draining, evictions) is
     * durable before anyone acts on it.
     */
    static boolean livenessOnly(Transition t) {
        return LIVENESS.contains(t.from()) && LIVENESS.contains(t.to());
    }

    private static final java.util.Set<NodeState> LIVENESS = java.util.EnumSet.of(NodeState.READY, NodeState.BUSY,
            NodeState.SUSPECT);

    /** A new reason for the current state, without a transition; false if it already said so. */
    synchronized boolean annotate(String reason) {
        if (reason.equals(stateReason)) {
            return false;
        }
        stateReason = reason;
        changes++;
        return true;
    }

    /**
     * Binds a new connection after a valid Hello and greets the agent on it. The session resumes only if the
     * agent names the session this node has; otherwise the agent process is new and so is the session.
     * Commands are this node's coordinator → agent stream (PROTOCOL.md §6): the Hello's position acknowledges
     * them only if it counts this very stream (or names none, as pre-stream agents do); a position in another
     * stream (one a previous coordinator process numbered) says nothing about ours, so all pending ones are
     * resent. The greeting and the resent commands go out under this node's lock, so a command queued
     * concurrently can never overtake the Welcome.
     *
     * @return the binding, including the connection it replaces if one was still open
     */
    synchronized Binding bind(Hello hello, int version, AgentLink newLink, String newSessionId, Instant now,
            java.util.function.Function<Binding, dev.drover.protocol.Message> greeting) {
        boolean resumed = !sessionId.isEmpty() && sessionId.equals(hello.previousSessionId());
        if (!resumed) {
            sessionId = newSessionId;
        }
        notHeardFrom = false;
        AgentLink previous = link != newLink ? link : null;
        link = newLink;
        identity = hello.identity();
        agentVersion = hello.agentVersion();
        protocolVersion = version;
        slots = hello.slots();
        gpus = hello.gpus();
        lastSeen = now;
        enrolledAt = now;
        changes++;
        boolean sameStream = hello.commandStreamId().isEmpty() || hello.commandStreamId().equals(commands.streamId());
        if (sameStream) {
            commands.acknowledge(hello.lastReceivedSeq());
        }
        NodeJournal.NodeRecord record = record();
        journal.atomically(() -> { // before the Welcome
            journal.node(record);
            if (sameStream) {
                journal.commandsAcknowledged(id, hello.lastReceivedSeq());
            }
        });
        Binding binding = new Binding(sessionId, resumed, commands.streamId(), Optional.ofNullable(previous));
        newLink.send(greeting.apply(binding));
        for (Reliable command : commands.unacknowledged()) {
            newLink.send(command);
        }
        return binding;
    }

    /** The outcome of {@link #bind}: the session in force, this node's command stream, the replaced link. */
    public record Binding(String sessionId, boolean resumed, String commandStreamId, Optional<AgentLink> replaced) {
    }

    /** Closes the current connection, if any, with a Bye. */
    synchronized void closeLink(dev.drover.protocol.ByeReason reason, String detail) {
        if (link != null) {
            link.close(reason, detail);
        }
    }

    /** Forgets the connection if it is still the current one (a superseded connection closing must not). */
    synchronized boolean unbind(AgentLink closing) {
        if (link == closing) {
            link = null;
        changes++;
            return true;
        }
        return false;
    }

    synchronized void heartbeat(Heartbeat hb, Instant now) {
        lastSeen = now;
        // Host names come only in a connection's first heartbeat and when they change (PROTOCOL.md §4, Heartbeat
        // extension 1): the node's last heartbeat keeps the last ones stated, for blade matching and the API.
        if (!hb.hostNames().isEmpty() && !hb.hostNames().equals(hostNames)) {
            // kept first (a failed write leaves both as they were); only on a change, so a resume storm after a
            // restart writes nothing
            journal.hostNames(id, hb.hostNames());
            hostNames = hb.hostNames();
        }
        lastHeartbeat = hb.hostNames().isEmpty() && !hostNames.isEmpty() ? hb.withHostNames(hostNames) : hb;
        lastHeartbeatAt = now;
        changes++;
    }

    synchronized void touch(Instant now) {
        lastSeen = now;
    }

    synchronized void taskStarted(dev.drover.protocol.TaskStarted s) {
        if (!runningTasks.containsKey(s.task()) && runningTasks.size() >= MAX_RUNNING_TASKS) {
            return; // applied (acknowledged) but not kept: see MAX_RUNNING_TASKS
        }
        runningTasks.put(s.task(), TaskView.started(s.task(), Instant.ofEpochMilli(s.startedAtMillis())));
        changes++;
        journal.taskStarted(id, s.task(), Instant.ofEpochMilli(s.startedAtMillis()));
    }

    synchronized void taskProgress(dev.drover.protocol.TaskProgress p) {
        // Progress is latest-value and may overtake nothing but be overtaken: a report that lands after the
        // task's (reliable) TaskFinished must not bring the task back to life.
        for (TaskView done : recentTasks) {
            if (done.task().equals(p.task())) {
                return;
            }
        }
        if (!runningTasks.containsKey(p.task()) && runningTasks.size() >= MAX_RUNNING_TASKS) {
            return; // progress is lossy; an invented task beyond the bound is not kept
        }
        TaskView v = runningTasks.getOrDefault(p.task(), TaskView.started(p.task(), Instant.ofEpochMilli(p.atMillis())));
        if (v.progressAt() != null && p.atMillis() < v.progressAt().toEpochMilli()) {
            return; // latest value by the agent's atMillis (PROTOCOL.md §7): an older report never replaces a newer
        }
        runningTasks.put(p.task(), v.progress(p.percent(), p.frame(), p.etaSeconds(), Instant.ofEpochMilli(p.atMillis())));
        changes++;
    }

    synchronized void taskFinished(dev.drover.protocol.TaskFinished f) {
        TaskView v = runningTasks.remove(f.task());
        changes++;
        journal.taskFinished(id, pool(), f);
        if (v == null) {
            v = TaskView.started(f.task(), Instant.ofEpochMilli(f.finishedAtMillis() - f.runtimeMillis()));
        }
        if (recentTasks.size() == HISTORY) {
            recentTasks.removeLast();
        }
        recentTasks.addFirst(v.finished(f.exitCode(), f.signal(), f.runtimeMillis(), f.peakRssBytes(),
                Instant.ofEpochMilli(f.finishedAtMillis())));
    }

    synchronized void eviction(EvictionNotice notice) {
        eviction = notice;
        changes++;
        journal.node(record());
    }

    /**
     * True while the node is Evicting under a Terminate that lets its running tasks finish (EvictionNotice
     * extension 1): it takes no new work, but what runs there is not requeued unless the agent says otherwise.
     */
    public synchronized boolean keepsTasksThroughEviction() {
        return state() == NodeState.EVICTING && eviction != null && eviction.letsTasksFinish();
    }

    /** Forgets the notice for {@code eventId} (the event ended); true if it was the one shown. */
    synchronized boolean clearEviction(String eventId) {
        if (eviction != null && eviction.eventId().equals(eventId)) {
            eviction = null;
        changes++;
            return true;
        }
        return false;
    }

    /** Queues a reliable command for the agent and sends it now if connected; resent after reconnects. */
    public Reliable sendCommand(LongFunction<Reliable> create) {
        return sendCommand(create, () -> { });
    }

    /**
     * Like {@link #sendCommand(LongFunction)}, with {@code alsoKeep} (the caller's own journal writes, e.g. the
     * task now Active on this node) kept in the same transaction as the command, before it leaves: after a
     * crash either both are remembered, or neither is and nothing was sent.
     */
    public synchronized Reliable sendCommand(LongFunction<Reliable> create, Runnable alsoKeep) {
        Reliable command = commands.add(create);
        journal.atomically(() -> {
            journal.commandQueued(id, commands.streamId(), command, command.seq() - commandCapacity);
            alsoKeep.run();
        });
        if (link != null) {
            link.send(command);
        }
        return command;
    }

    synchronized void acknowledgeCommands(long seq) {
        if (commands.acknowledge(seq) > 0) {
            journal.commandsAcknowledged(id, seq);
        }
    }

    /** What the journal has of this node now (without counting a change). */
    synchronized NodeJournal.NodeRecord currentRecord() {
        return new NodeJournal.NodeRecord(id, version, identity, agentVersion, protocolVersion, slots, gpus, state,
                stateReason, stateSince, enrolledAt, eviction);
    }

    /**
     * A consistent copy for readers (API lists, scaler, metrics) that must not hold the lock. It leaves out
     * the state history and keeps only the newest finished task (what the scaler's idle time needs): those
     * are read for one node at a time, through {@link #detail()}, and copying them for a whole fleet every
     * second was most of the coordinator's allocation at 10,000 nodes (issue 16).
     */
    public synchronized NodeSnapshot snapshot() {
        TaskView newest = recentTasks.peekFirst();
        return copy(List.of(), newest == null ? List.of() : List.of(newest));
    }

    /** The full copy, with the state history and the recent tasks: the node's detail view. */
    public synchronized NodeSnapshot detail() {
        return copy(List.copyOf(history), List.copyOf(recentTasks));
    }

    private NodeSnapshot copy(List<Transition> transitions, List<TaskView> recent) {
        return new NodeSnapshot(id, identity, agentVersion, protocolVersion, slots, gpus, state, stateReason,
                stateSince, lastSeen, enrolledAt, lastHeartbeat, lastHeartbeatAt, eviction, sessionId, link != null,
                link != null ? link.remoteAddress() : "", transitions, List.copyOf(runningTasks.values()), recent,
                hostNames);
    }

    /** See {@link #changes}; read without the lock. */
    public long changes() {
        return changes;
    }

    /** What the queue needs to hand out work, without copying the node. */
    public record Capacity(NodeState state, boolean connected, int slots, String pool) {
    }

    public synchronized Capacity capacity() {
        return new Capacity(state, link != null, slots, identity != null ? identity.pool() : "");
    }

    /** Finished tasks, newest first (the API's task list). */
    public synchronized List<TaskView> recentTasks() {
        return List.copyOf(recentTasks);
    }

    /** Deleted or Gone, without a connection, since before {@code t}. */
    synchronized boolean departedBefore(Instant t) {
        return (state == NodeState.DELETED || state == NodeState.GONE) && link == null && stateSince.isBefore(t);
    }

    /** The pool the agent says it belongs to; empty before its first Hello. */
    public synchronized String pool() {
        return identity != null ? identity.pool() : "";
    }

    /** Tasks running on this node as last reported (started and not finished). */
    public synchronized List<dev.drover.protocol.TaskRef> runningTaskRefs() {
        return List.copyOf(runningTasks.keySet());
    }

    public synchronized NodeState state() {
        return state;
    }

    synchronized boolean notHeardFrom() {
        return notHeardFrom;
    }

    synchronized Instant lastSeen() {
        return lastSeen;
    }

    synchronized String sessionId() {
        return sessionId;
    }
}
