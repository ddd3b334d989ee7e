package dev.drover.coordinator.fleet;

import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.Heartbeat;
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

    private final String id;
    private final ArrayDeque<Transition> history = new ArrayDeque<>();
    private final Outbox<Reliable> commands;
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
    private EvictionNotice eviction;
    private String sessionId = "";
    private AgentLink link;
    private final java.util.LinkedHashMap<dev.drover.protocol.TaskRef, TaskView> runningTasks =
            new java.util.LinkedHashMap<>();
    private final ArrayDeque<TaskView> recentTasks = new ArrayDeque<>();

    private final java.util.function.BiConsumer<Node, Transition> observer;

    Node(String id, Instant now, int commandCapacity, java.util.function.BiConsumer<Node, Transition> observer) {
        this.id = id;
        this.observer = observer;
        this.state = NodeState.ENROLLING;
        this.stateReason = "first hello";
        this.stateSince = now;
        this.lastSeen = now;
        this.commands = new Outbox<>(commandCapacity);
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
        state = to;
        stateReason = reason;
        stateSince = at;
        LOGGER.atInfo().addKeyValue("nodeId", id).addKeyValue("from", t.from()).addKeyValue("to", to)
                .addKeyValue("reason", reason).log("node state changed");
        observer.accept(this, t);
        return true;
    }

    /** A new reason for the current state, without a transition; false if it already said so. */
    synchronized boolean annotate(String reason) {
        if (reason.equals(stateReason)) {
            return false;
        }
        stateReason = reason;
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
        AgentLink previous = link != newLink ? link : null;
        link = newLink;
        identity = hello.identity();
        agentVersion = hello.agentVersion();
        protocolVersion = version;
        slots = hello.slots();
        gpus = hello.gpus();
        lastSeen = now;
        enrolledAt = now;
        if (hello.commandStreamId().isEmpty() || hello.commandStreamId().equals(commands.streamId())) {
            commands.acknowledge(hello.lastReceivedSeq());
        }
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

    /** Forgets the connection if it is still the current one (a superseded connection closing must not). */
    synchronized boolean unbind(AgentLink closing) {
        if (link == closing) {
            link = null;
            return true;
        }
        return false;
    }

    synchronized void heartbeat(Heartbeat hb, Instant now) {
        lastSeen = now;
        lastHeartbeat = hb;
        lastHeartbeatAt = now;
    }

    synchronized void touch(Instant now) {
        lastSeen = now;
    }

    synchronized void taskStarted(dev.drover.protocol.TaskStarted s) {
        runningTasks.put(s.task(), TaskView.started(s.task(), Instant.ofEpochMilli(s.startedAtMillis())));
    }

    synchronized void taskProgress(dev.drover.protocol.TaskProgress p) {
        // Progress is latest-value and may overtake nothing but be overtaken: a report that lands after the
        // task's (reliable) TaskFinished must not bring the task back to life.
        for (TaskView done : recentTasks) {
            if (done.task().equals(p.task())) {
                return;
            }
        }
        TaskView v = runningTasks.getOrDefault(p.task(), TaskView.started(p.task(), Instant.ofEpochMilli(p.atMillis())));
        if (v.progressAt() != null && p.atMillis() < v.progressAt().toEpochMilli()) {
            return; // latest value by the agent's atMillis (PROTOCOL.md §7): an older report never replaces a newer
        }
        runningTasks.put(p.task(), v.progress(p.percent(), p.frame(), p.etaSeconds(), Instant.ofEpochMilli(p.atMillis())));
    }

    synchronized void taskFinished(dev.drover.protocol.TaskFinished f) {
        TaskView v = runningTasks.remove(f.task());
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
    }

    /** Queues a reliable command for the agent and sends it now if connected; resent after reconnects. */
    public synchronized Reliable sendCommand(LongFunction<Reliable> create) {
        Reliable command = commands.add(create);
        if (link != null) {
            link.send(command);
        }
        return command;
    }

    synchronized void acknowledgeCommands(long seq) {
        commands.acknowledge(seq);
    }

    /** A consistent copy for readers (API, scaler) that must not hold the lock. */
    public synchronized NodeSnapshot snapshot() {
        return new NodeSnapshot(id, identity, agentVersion, protocolVersion, slots, gpus, state, stateReason,
                stateSince, lastSeen, enrolledAt, lastHeartbeat, lastHeartbeatAt, eviction, sessionId, link != null,
                link != null ? link.remoteAddress() : "", List.copyOf(history), List.copyOf(runningTasks.values()),
                List.copyOf(recentTasks));
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

    synchronized Instant lastSeen() {
        return lastSeen;
    }

    synchronized String sessionId() {
        return sessionId;
    }
}
