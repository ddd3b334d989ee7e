package dev.drover.coordinator.faults;

import dev.drover.protocol.Ack;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Bye;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.Reject;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import dev.drover.protocol.Welcome;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One simulated agent written from PROTOCOL.md alone (not from Drover's agent): Hello, Welcome, heartbeats
 * with jitter, progress, reliable events kept in an outbox until a cumulative Ack covers them and resent above
 * Welcome.lastReceivedSeq after a reconnect, duplicate suppression of the coordinator's reliable commands,
 * streams named in Hello/Welcome (§6.3), RunTask idempotent per TaskRef (§7). It keeps a ledger of every reliable event it created and what was acked,
 * which the test compares with what the coordinator's HTTP API shows. Its state is guarded by its monitor;
 * the network side lives in {@link SimFleet}.
 */
final class SimAgent {
    /** Synthetic tasks a simulated agent reports on its own (not from the built-in queue) use this job id. */
    static final long OWN_JID = 9_000_000L;

    final int index;
    final String nodeId;
    final String pool;
    private final String token;

    // outbound reliable stream (A->C): one stream for this simulated process's life (PROTOCOL.md §6.3)
    final String agentStreamId = java.util.UUID.randomUUID().toString();
    private long nextSeq = 1;
    private final TreeMap<Long, Reliable> outbox = new TreeMap<>();
    private long ackedUpTo;
    final List<Reliable> ledger = new ArrayList<>();

    // inbound reliable stream (C->A): the coordinator's stream for this node and how far it was processed
    private String commandStreamId = "";
    private long inboundHighest;
    final java.util.Set<TaskRef> startedInThisProcess = new java.util.HashSet<>();
    final List<RunTask> repeatedRunTasks = new ArrayList<>();
    /** The least wait before the next connection attempt, set by a Reject or Bye (PROTOCOL.md §6.6). */
    long minimumWaitMillis;
    final List<RunTask> executed = new ArrayList<>();
    final List<RunTask> duplicateCommandsDropped = new ArrayList<>();
    int drains;
    int cancels;

    // session
    private String sessionId = "";
    /** The node credential the coordinator issued (PROTOCOL.md §6.1), presented in every later Hello. */
    private String credential = "";
    Channel channel;
    boolean connected;
    int reconnectAttempts;
    final List<Long> welcomeAtMillis = new ArrayList<>();
    /** When each connection attempt started, and when each TCP connection was established (for ResumeProfile). */
    final List<Long> attemptAtMillis = new ArrayList<>();
    final List<Long> activeAtMillis = new ArrayList<>();
    final List<Boolean> resumedFlags = new ArrayList<>();
    final List<String> rejects = new ArrayList<>();
    final List<String> byes = new ArrayList<>();
    int heartbeatMillis = 5000;
    int jitterPercent = 20;
    long lastHeardMillis;
    boolean pingOutstanding;

    // scripted work
    private TaskRef ownTask;
    int ownTasksStarted;
    final Map<TaskRef, RunTask> running = new java.util.LinkedHashMap<>();
    boolean evicting;

    SimAgent(int index, String nodeId, String pool, String token) {
        this.index = index;
        this.nodeId = nodeId;
        this.pool = pool;
        this.token = token;
    }

    synchronized Hello hello() {
        return new Hello(1, 1, "faults-sim", NodeIdentity.local(nodeId, pool), 1, 0, token, sessionId, inboundHighest,
                agentStreamId, commandStreamId, 0).withProof(credential, "");
    }

    /** Handles one message from the coordinator; returns what to send back. */
    synchronized List<Message> onMessage(Message m, long now) {
        lastHeardMillis = now;
        pingOutstanding = false;
        List<Message> out = new ArrayList<>();
        if (m instanceof Welcome w) {
            if (!w.commandStreamId().isEmpty() && !w.commandStreamId().equals(commandStreamId)) {
                // a new coordinator stream: its seq 1 is new (PROTOCOL.md §6.3)
                commandStreamId = w.commandStreamId();
                inboundHighest = 0;
            }
            sessionId = w.sessionId();
            if (!w.nodeCredential().isEmpty()) {
                credential = w.nodeCredential();
            }
            heartbeatMillis = w.heartbeatIntervalMillis();
            jitterPercent = w.heartbeatJitterPercent();
            connected = true;
            reconnectAttempts = 0;
            welcomeAtMillis.add(now);
            resumedFlags.add(w.resumed());
            out.add(heartbeat(now));
            outbox.tailMap(w.lastReceivedSeq(), false).values().forEach(out::add);
        } else if (m instanceof Ack a) {
            ackedUpTo = Math.max(ackedUpTo, a.seq());
            outbox.headMap(a.seq(), true).clear();
        } else if (m instanceof Reliable r) {
            if (r.seq() > inboundHighest) {
                inboundHighest = r.seq();
                out.addAll(process(r, now));
            } else if (r instanceof RunTask run) {
                duplicateCommandsDropped.add(run);
            }
            out.add(new Ack(inboundHighest));
        } else if (m instanceof Ping p) {
            out.add(new Pong(p.nonce()));
        } else if (m instanceof Reject rj) {
            rejects.add(rj.reason() + ": " + rj.detail());
            minimumWaitMillis = switch (rj.reason()) {
                case OVERLOADED -> uniform(5000, 7500);
                case SHUTTING_DOWN -> 0;
                default -> uniform(300_000, 450_000);
            };
        } else if (m instanceof Bye b) {
            byes.add(b.reason() + ": " + b.detail());
            minimumWaitMillis = b.reason() == dev.drover.protocol.ByeReason.SUPERSEDED ? uniform(60_000, 90_000) : 0;
        }
        return out;
    }

    private List<Message> process(Reliable r, long now) {
        List<Message> out = new ArrayList<>();
        if (r instanceof RunTask run && !startedInThisProcess.add(run.task())) {
            // idempotent per TaskRef (PROTOCOL.md §7): a RunTask resent in a new stream is not run again
            repeatedRunTasks.add(run);
        } else if (r instanceof RunTask run) {
            executed.add(run);
            running.put(run.task(), run);
            out.add(enqueue(new TaskStarted(nextSeq, run.task(), now, 10_000 + index)));
        } else if (r instanceof CancelTask c) {
            cancels++;
            if (running.remove(c.task()) != null) {
                out.add(enqueue(new TaskFinished(nextSeq, c.task(), 143, 15, 1000, -1, now)));
            }
        } else if (r instanceof Drain) {
            drains++;
            out.add(enqueue(new DrainState(nextSeq, running.isEmpty() ? DrainPhase.DRAINED : DrainPhase.DRAINING,
                    running.size())));
        }
        return out;
    }

    /** Finishes a built-in-queue task this agent was told to run; what to send, if connected. */
    synchronized Message finishRunTask(TaskRef task, long now) {
        RunTask run = running.remove(task);
        return run == null ? null : enqueue(new TaskFinished(nextSeq, task, 0, 0, 2000, 1_000_000, now));
    }

    /** Finishes this agent's own current task (if any) and starts the next while fewer than max were started. */
    synchronized List<Message> nextOwnTask(int max, long now) {
        List<Message> out = new ArrayList<>();
        if (ownTask != null) {
            out.add(enqueue(new TaskFinished(nextSeq, ownTask, exitCodeOf(ownTask), 0, runtimeOf(ownTask), -1, now)));
            ownTask = null;
        }
        if (ownTasksStarted < max && !evicting) {
            ownTasksStarted++;
            ownTask = new TaskRef(OWN_JID, index, ownTasksStarted);
            out.add(enqueue(new TaskStarted(nextSeq, ownTask, now, 20_000 + index)));
        }
        return out;
    }

    /** The exit code and runtime a finished own task reports, so the API's copy can be checked field by field. */
    static int exitCodeOf(TaskRef t) {
        return t.cid() % 3 == 0 ? 1 : 0;
    }

    static long runtimeOf(TaskRef t) {
        return 1000L * t.cid() + t.tid();
    }

    synchronized Message evict(long now) {
        evicting = true;
        return enqueue(new EvictionNotice(nextSeq, "evt-" + nodeId, EvictionType.PREEMPT, now + 30_000,
                "simulated Spot eviction", now));
    }

    synchronized List<Message> tick(long now) {
        List<Message> out = new ArrayList<>();
        out.add(heartbeat(now));
        if (ownTask != null) {
            out.add(new TaskProgress(ownTask, (float) Math.min(99, (now / 1000) % 100), -1, 30, now));
        }
        return out;
    }

    private Heartbeat heartbeat(long now) {
        int tasks = running.size() + (ownTask == null ? 0 : 1);
        AgentState s = evicting ? AgentState.EVICTING : tasks > 0 ? AgentState.BUSY : AgentState.IDLE;
        return new Heartbeat(now, s, tasks, HostMetrics.UNKNOWN, List.of(), false, 0);
    }

    private Reliable enqueue(Reliable r) {
        nextSeq++;
        outbox.put(r.seq(), r);
        ledger.add(r);
        return r;
    }

    private static long uniform(long from, long to) {
        return ThreadLocalRandom.current().nextLong(from, to + 1);
    }

    /** Next heartbeat delay: the interval ± the jitter the Welcome gave. */
    synchronized long nextBeatMillis() {
        int spread = heartbeatMillis * jitterPercent / 100;
        return heartbeatMillis + (spread == 0 ? 0 : ThreadLocalRandom.current().nextInt(-spread, spread + 1));
    }

    synchronized int unacked() {
        return outbox.size();
    }

    synchronized long ackedUpTo() {
        return ackedUpTo;
    }

    synchronized long sent() {
        return ledger.size();
    }

    synchronized TaskRef ownTask() {
        return ownTask;
    }

    synchronized long lastWelcome() {
        return welcomeAtMillis.isEmpty() ? 0 : welcomeAtMillis.get(welcomeAtMillis.size() - 1);
    }

    synchronized List<Reliable> ledgerCopy() {
        return List.copyOf(ledger);
    }
}
