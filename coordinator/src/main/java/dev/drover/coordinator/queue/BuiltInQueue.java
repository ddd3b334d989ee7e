package dev.drover.coordinator.queue;

import dev.drover.coordinator.fleet.FleetListener;
import dev.drover.coordinator.provision.BladeControl;
import io.vertx.core.Future;
import dev.drover.coordinator.fleet.Node;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.Transition;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.scaling.QueuedWork;
import dev.drover.coordinator.scaling.RuntimeEstimator;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Drover's own queue, for a farm without Tractor and for the demo: jobs of tasks with service keys, handed
 * to agents as RunTask when a node of a pool serving the key has a free slot. A task whose node is evicted,
 * lost or gone goes back to the queue at once (and the old node is told to stop it, in case it comes back);
 * a failed task is retried up to {@link #MAX_ATTEMPTS} times. Every method is synchronized: the queue is
 * touched by the fleet's event thread, the scaling tick and the API.
 */
public final class BuiltInQueue implements QueueSource, FleetListener, BladeControl {
    public static final int MAX_ATTEMPTS = 3;
    private static final Set<NodeState> TAKES_WORK = EnumSet.of(NodeState.READY, NodeState.BUSY);
    private static final Set<NodeState> LOSES_WORK = EnumSet.of(NodeState.EVICTING, NodeState.LOST, NodeState.GONE,
            NodeState.DELETED);

    /** One command of a job: what to run, and what a person calls it ("frame 12"). */
    public record TaskSpec(String title, List<String> argv, List<String> env, String workingDir) {
        public TaskSpec {
            argv = List.copyOf(argv);
            env = List.copyOf(env);
        }
    }

    public record JobSpec(String title, String serviceKey, List<TaskSpec> tasks) {
        public JobSpec {
            tasks = List.copyOf(tasks);
            if (tasks.isEmpty() || tasks.size() > 100_000) {
                throw new IllegalArgumentException("a job needs 1..100000 tasks, got " + tasks.size());
            }
            if (serviceKey == null || serviceKey.isBlank()) {
                throw new IllegalArgumentException("a job needs a service key");
            }
        }
    }

    public enum State { READY, ACTIVE, DONE, ERROR }

    /** A task as the API shows it. */
    public record TaskInfo(TaskRef ref, String jobTitle, String title, String serviceKey, State state, int attempts,
            int requeues, String node, List<String> nodesTried, Instant since) {
    }

    private static final class Task {
        final TaskRef ref;
        final String jobTitle;
        final String serviceKey;
        final TaskSpec spec;
        State state = State.READY;
        int attempts;
        int requeues;
        String node = "";
        /** The node this task was last taken from (eviction, loss, eject): its success report still counts. */
        String requeuedFrom = "";
        final List<String> nodesTried = new ArrayList<>();
        Instant since;

        Task(TaskRef ref, String jobTitle, String serviceKey, TaskSpec spec, Instant now) {
            this.ref = ref;
            this.jobTitle = jobTitle;
            this.serviceKey = serviceKey;
            this.spec = spec;
            this.since = now;
        }

        TaskInfo info() {
            return new TaskInfo(ref, jobTitle, spec.title(), serviceKey, state, attempts, requeues, node,
                    List.copyOf(nodesTried), since);
        }

        QueueJournal.TaskRecord record() {
            return new QueueJournal.TaskRecord(ref, jobTitle, serviceKey, spec, state, attempts, requeues, node,
                    nodesTried, since);
        }

        static Task of(QueueJournal.TaskRecord r) {
            Task t = new Task(r.ref(), r.jobTitle(), r.serviceKey(), r.spec(), r.since());
            t.state = r.state();
            t.attempts = r.attempts();
            t.requeues = r.requeues();
            t.node = r.node();
            t.nodesTried.addAll(r.nodesTried());
            return t;
        }
    }

    private final NodeRegistry registry;
    private final Map<String, PoolSpec> pools = new HashMap<>();
    private final Timeline timeline;
    private final Clock clock;
    private final Map<TaskRef, Task> tasks = new LinkedHashMap<>();
    /** Nodes that refused a task (draining, misconfigured) get none for a while, so no RunTask ping-pong. */
    private final Map<String, Instant> refusedUntil = new HashMap<>();
    static final java.time.Duration REFUSAL_PAUSE = java.time.Duration.ofSeconds(30);
    private long nextJid = 1;
    private QueueJournal journal = QueueJournal.NONE;
    /** Runtimes of the tasks that finished well, per job and key: what scaling estimates ready work from. */
    private final RuntimeEstimator runtimes = new RuntimeEstimator();

    public BuiltInQueue(NodeRegistry registry, List<PoolSpec> pools, Timeline timeline, Clock clock) {
        this.registry = registry;
        pools.forEach(p -> this.pools.put(p.name(), p));
        this.timeline = timeline;
        this.clock = clock;
    }

    /** Where jobs and tasks are kept across restarts; set before the first job. */
    public synchronized void setJournal(QueueJournal journal) {
        this.journal = journal;
    }

    /**
     * Puts back the queue remembered from before a restart, then applies the task finishes agents were told
     * were safe but the queue had not applied yet. Tasks stay where they were: Active ones wait for their node.
     */
    public synchronized void restore(QueueJournal.Remembered remembered) {
        nextJid = Math.max(nextJid, remembered.nextJid());
        for (QueueJournal.TaskRecord r : remembered.tasks()) {
            tasks.put(r.ref(), Task.of(r));
        }
        for (QueueJournal.PendingFinish f : remembered.pendingFinishes()) {
            taskFinished(f.nodeId(), f.pool(), f.finished());
        }
    }

    /** After a restart: takes the tasks off a node that lost them while the coordinator was down. */
    public synchronized void requeueFrom(String nodeId, String why, boolean tellNode) {
        requeueFrom(nodeId, registry.find(nodeId).map(Node::pool).orElse(""), why,
                tellNode && registry.find(nodeId).isPresent());
    }

    /** Every task as the journal keeps it. */
    public synchronized List<QueueJournal.TaskRecord> records() {
        return tasks.values().stream().map(Task::record).toList();
    }

    /** Queues a job; its tasks are dispatched as nodes come free. Returns the job id. */
    public synchronized long submit(JobSpec job) {
        long jid = nextJid;
        String key = job.serviceKey().toLowerCase(Locale.ROOT);
        Instant now = clock.instant();
        List<Task> created = new ArrayList<>(job.tasks().size());
        for (int i = 0; i < job.tasks().size(); i++) {
            TaskRef ref = new TaskRef(jid, i + 1, i + 1);
            created.add(new Task(ref, job.title(), key, job.tasks().get(i), now));
        }
        journal.jobSubmitted(jid, job, now, created.stream().map(Task::record).toList(), jid + 1);
        nextJid = jid + 1;
        created.forEach(t -> tasks.put(t.ref, t));
        timeline.record(Timeline.Kind.JOB, "", "", "job " + jid + " \"" + job.title() + "\" queued: "
                + job.tasks().size() + " task(s), service key " + key);
        dispatch();
        return jid;
    }

    @Override
    public synchronized QueueView view() {
        Map<String, QueueView.Counts> counts = new HashMap<>();
        for (Task t : tasks.values()) {
            if (t.state == State.READY || t.state == State.ACTIVE) {
                counts.merge(t.serviceKey, t.state == State.READY ? new QueueView.Counts(1, 0)
                        : new QueueView.Counts(0, 1), QueueView.Counts::plus);
            }
        }
        return new QueueView(true, counts, "");
    }

    /** Ready tasks per job and key, and how long each active task has run (since it was sent). */
    @Override
    public synchronized QueuedWork queuedWork() {
        Instant now = clock.instant();
        Map<Long, int[]> readyByJob = new LinkedHashMap<>();
        Map<Long, String> keyOfJob = new HashMap<>(); // a built-in job has one service key
        List<QueuedWork.Running> running = new ArrayList<>();
        for (Task t : tasks.values()) {
            if (t.state == State.READY) {
                readyByJob.computeIfAbsent(t.ref.jid(), j -> new int[1])[0]++;
                keyOfJob.putIfAbsent(t.ref.jid(), t.serviceKey);
            } else if (t.state == State.ACTIVE) {
                running.add(new QueuedWork.Running(Long.toString(t.ref.jid()), t.serviceKey, seconds(t.since, now)));
            }
        }
        List<QueuedWork.Ready> ready = new ArrayList<>(readyByJob.size());
        readyByJob.forEach((jid, n) -> ready.add(new QueuedWork.Ready(Long.toString(jid), keyOfJob.get(jid), n[0])));
        return new QueuedWork(ready, running, runtimes);
    }

    private static double seconds(Instant from, Instant to) {
        return Math.max(0, java.time.Duration.between(from, to).toMillis() / 1000.0);
    }

    /** Hands ready tasks to nodes with free slots; called when tasks become ready and every scaling tick. */
    public synchronized int dispatch() {
        return dispatch(null);
    }

    /**
     * Hands ready tasks to nodes with free slots: to {@code onlyNode} when that node is all that changed (it
     * came free or started taking work), else to every node in id order. Costs nothing per node while no task
     * is ready, and never copies the fleet: before issue 16 every node state change copied and sorted the
     * whole registry here, which made the coordinator's cost quadratic in fleet size.
     */
    private int dispatch(String onlyNode) {
        int ready = 0;
        Map<String, Integer> busySlots = new HashMap<>();
        for (Task t : tasks.values()) {
            if (t.state == State.READY) {
                ready++;
            } else if (t.state == State.ACTIVE) {
                busySlots.merge(t.node, 1, Integer::sum);
            }
        }
        if (ready == 0) {
            return 0;
        }
        Instant now = clock.instant();
        refusedUntil.values().removeIf(until -> !until.isAfter(now));
        java.util.Collection<Node> candidates = onlyNode == null ? registry.nodes()
                : registry.find(onlyNode).map(List::of).orElse(List.of());
        int sent = 0;
        for (Node node : candidates) {
            if (sent == ready) {
                break;
            }
            Node.Capacity n = node.capacity();
            if (!TAKES_WORK.contains(n.state()) || !n.connected() || refusedUntil.containsKey(node.id())) {
                continue;
            }
            int free = Math.max(1, n.slots()) - busySlots.getOrDefault(node.id(), 0);
            for (Task t : tasks.values()) {
                if (free <= 0) {
                    break;
                }
                if (t.state == State.READY && serves(n.pool(), t.serviceKey) && send(node, t)) {
                    free--;
                    sent++;
                }
            }
        }
        return sent;
    }

    private boolean serves(String pool, String serviceKey) {
        PoolSpec p = pools.get(pool);
        return p == null || p.serves(serviceKey); // a node of an unconfigured pool takes anything
    }

    private boolean send(Node node, Task t) {
        String nodeId = node.id();
        t.state = State.ACTIVE;
        t.node = nodeId;
        t.attempts++;
        t.nodesTried.add(nodeId);
        t.since = clock.instant();
        QueueJournal.TaskRecord active = t.record();
        node.sendCommand(seq -> new RunTask(seq, t.ref, t.serviceKey, t.spec.argv(), t.spec.env(),
                t.spec.workingDir()), () -> journal.task(active));
        return true;
    }

    @Override
    public synchronized void taskFinished(String nodeId, String pool, TaskFinished f) {
        Task t = tasks.get(f.task());
        if (t != null && finishedWhereItWasTakenFrom(t, nodeId, pool, f)) {
            return;
        }
        if (t == null || t.state != State.ACTIVE || !t.node.equals(nodeId)) {
            journal.finishApplied(nodeId, f.task());
            return; // a report from a node the task was already taken from
        }
        Instant started = t.since;
        if (f.exitCode() == 0) {
            runtimes.finished(Long.toString(t.ref.jid()), t.serviceKey, seconds(t.since, clock.instant()));
            t.state = State.DONE;
        } else if (f.exitCode() == TaskFinished.NOT_STARTED) {
            t.attempts--; // it never ran
            t.state = State.READY;
            refusedUntil.put(nodeId, clock.instant().plus(REFUSAL_PAUSE));
            timeline.record(Timeline.Kind.REQUEUE, pool, nodeId, "task " + f.task() + " (" + t.spec.title()
                    + ") refused by " + nodeId + " (see its log); no work for it for " + REFUSAL_PAUSE.toSeconds()
                    + " s");
        } else if (t.attempts >= MAX_ATTEMPTS) {
            t.state = State.ERROR;
            timeline.record(Timeline.Kind.JOB, pool, nodeId, "task " + f.task() + " (" + t.spec.title()
                    + ") failed " + t.attempts + " time(s), last exit code " + f.exitCode() + "; giving up");
        } else {
            t.state = State.READY;
            timeline.record(Timeline.Kind.REQUEUE, pool, nodeId, "task " + f.task() + " (" + t.spec.title()
                    + ") exited " + f.exitCode() + "; retrying (attempt " + t.attempts + " of " + MAX_ATTEMPTS + ")");
        }
        t.node = t.state == State.READY ? "" : t.node;
        t.since = clock.instant();
        QueueJournal.TaskRecord changed = t.record();
        TaskRun run = new TaskRun(t.ref, nodeId, pool, t.serviceKey, started, t.since, f.exitCode(),
                f.exitCode() == 0 ? TaskRun.Outcome.DONE : f.exitCode() == TaskFinished.NOT_STARTED
                        ? TaskRun.Outcome.REFUSED : TaskRun.Outcome.FAILED, "task now " + t.state);
        journal.atomically(() -> {
            journal.task(changed);
            journal.finishApplied(nodeId, f.task());
            journal.runEnded(run);
        });
        // a slot came free on this node; a task ready again may go anywhere
        dispatch(t.state == State.READY ? null : nodeId);
    }

    /**
     * A success from the node the task was requeued from wins over the requeue (PROTOCOL.md §7): the agent's
     * stream is applied in order, so after a partition its eviction notice (or the node's loss) can be
     * applied before a TaskFinished for a task that had in fact completed. The result stands; the requeued
     * copy is forgotten if it has not been sent, or cancelled where it was sent. A failure from that node is
     * the killed attempt and is ignored, as before.
     */
    private boolean finishedWhereItWasTakenFrom(Task t, String nodeId, String pool, TaskFinished f) {
        boolean requeuedCopy = t.state == State.READY || t.state == State.ACTIVE && !t.node.equals(nodeId);
        if (f.exitCode() != 0 || !requeuedCopy || !t.requeuedFrom.equals(nodeId)) {
            return false;
        }
        if (t.state == State.ACTIVE) {
            String other = t.node;
            registry.find(other).ifPresent(n -> n.sendCommand(seq -> new CancelTask(seq, t.ref,
                    "finished on " + nodeId + " before it was requeued")));
            t.attempts--;
        }
        t.attempts++;
        t.state = State.DONE;
        t.node = nodeId;
        t.since = clock.instant();
        // kept like any other finish, so a restart does not replay it; its start is the node's own runtime back
        QueueJournal.TaskRecord done = t.record();
        TaskRun run = new TaskRun(t.ref, nodeId, pool, t.serviceKey, t.since.minusMillis(f.runtimeMillis()),
                t.since, 0, TaskRun.Outcome.DONE, "finished before it was requeued");
        journal.atomically(() -> {
            journal.task(done);
            journal.finishApplied(nodeId, f.task());
            journal.runEnded(run);
        });
        timeline.record(Timeline.Kind.JOB, pool, nodeId, "task " + t.ref + " (" + t.spec.title()
                + ") had finished on " + nodeId + " before it was requeued; result kept, not run again");
        dispatch();
        return true;
    }

    @Override
    public synchronized void transitioned(String nodeId, String pool, Transition transition) {
        if (LOSES_WORK.contains(transition.to()) && !keepsTasks(nodeId, transition.to())) {
            requeueFrom(nodeId, pool, "node " + nodeId + " is " + transition.to() + " (" + transition.reason() + ")",
                    transition.to() != NodeState.DELETED && transition.to() != NodeState.GONE);
        }
        if (TAKES_WORK.contains(transition.to())) {
            dispatch(nodeId); // only this node changed: no need to look at the rest of the fleet
        }
    }

    /** The tasks a Terminate let run must go after all (their ETA slipped, or a Preempt came): requeue now. */
    @Override
    public synchronized void evictionRequeueNow(String nodeId, String pool, String why) {
        requeueFrom(nodeId, pool, "node " + nodeId + " is EVICTING (" + why + ")", true);
    }

    /**
     * A Terminate that lets the node's tasks finish: no new work (Evicting takes none), nothing requeued; if
     * the tasks must go after all, orchestration ejects them (evictionRequeueNow → {@link #ejectAll}).
     */
    private boolean keepsTasks(String nodeId, NodeState to) {
        return to == NodeState.EVICTING && registry.find(nodeId).map(Node::keepsTasksThroughEviction).orElse(false);
    }

    // ---- BladeControl: what orchestration asks of the render manager, for a farm without Tractor -------------

    /** Nothing to do: the queue gives no work to a node that is draining, evicting or gone. */
    @Override
    public Future<Void> nimby(String blade, boolean on) {
        return Future.succeededFuture();
    }

    /** Stops the node's tasks (CancelTask) and puts them back in the queue now, as Tractor's ejectall does. */
    @Override
    public synchronized Future<Void> ejectAll(String blade) {
        requeueFrom(blade, registry.find(blade).map(Node::pool).orElse(""), "ejected from " + blade, true);
        return Future.succeededFuture();
    }

    @Override
    public Future<Void> delist(String blade) {
        return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Integer> activeTasks(String blade) {
        return Future.succeededFuture(activeOn(blade).size());
    }

    /**
     * Takes every task off a node and back into the queue; a node that may still be running them (evicting,
     * lost, ejected — not one whose VM is gone) is told to stop them, should it ever listen again.
     */
    private void requeueFrom(String nodeId, String pool, String why, boolean tellNode) {
        Node node = tellNode ? registry.find(nodeId).orElse(null) : null;
        for (Task t : tasks.values()) {
            if (t.state != State.ACTIVE || !t.node.equals(nodeId)) {
                continue;
            }
            t.state = State.READY;
            t.node = "";
            t.attempts--; // the node's fault, not the task's
            t.requeues++;
            t.requeuedFrom = nodeId;
            Instant started = t.since;
            t.since = clock.instant();
            timeline.record(Timeline.Kind.REQUEUE, pool, nodeId, "task " + t.ref + " (" + t.spec.title()
                    + ") requeued: " + why);
            QueueJournal.TaskRecord requeued = t.record();
            TaskRun run = new TaskRun(t.ref, nodeId, pool, t.serviceKey, started, t.since, null,
                    TaskRun.Outcome.REQUEUED, why);
            Runnable keep = () -> {
                journal.task(requeued);
                journal.runEnded(run);
            };
            if (node != null) { // the task is Ready again only together with the Cancel that stops the old run
                node.sendCommand(seq -> new CancelTask(seq, t.ref, "requeued: " + why), keep);
            } else {
                journal.atomically(keep);
            }
        }
        dispatch();
    }

    public synchronized List<TaskInfo> tasks() {
        return tasks.values().stream().map(Task::info).toList();
    }

    /** Tasks handed to this node and not finished. */
    public synchronized List<TaskInfo> activeOn(String nodeId) {
        return tasks.values().stream().filter(t -> t.state == State.ACTIVE && t.node.equals(nodeId)).map(Task::info)
                .toList();
    }

    public synchronized TaskInfo task(TaskRef ref) {
        Task t = tasks.get(ref);
        return t == null ? null : t.info();
    }

    /** True when every task has finished, one way or the other. */
    public synchronized boolean drained() {
        return tasks.values().stream().allMatch(t -> t.state == State.DONE || t.state == State.ERROR);
    }

    public synchronized Map<State, Integer> totals() {
        Map<State, Integer> totals = new java.util.EnumMap<>(State.class);
        for (State s : State.values()) {
            totals.put(s, 0);
        }
        tasks.values().forEach(t -> totals.merge(t.state, 1, Integer::sum));
        return totals;
    }
}
