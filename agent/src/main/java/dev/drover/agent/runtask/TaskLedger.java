package dev.drover.agent.runtask;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drover.agent.state.StateDirectory;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node knows of the built-in queue's tasks (RunTask), kept in the state directory so it outlives the
 * agent process: the tasks running now (with the pids that identify them) and the last few finished, with
 * their results. It is the one place that sends a RunTask's TaskStarted and TaskFinished, so each launch gets
 * exactly one of each however many paths (drover-run's report, the wrapper's exit, shutdown, restart) try.
 * Events go to the durable outbox before this file is rewritten; a crash in between is healed at the next
 * start by looking for the TaskFinished in the outbox.
 */
final class TaskLedger {
    private static final Logger LOGGER = LoggerFactory.getLogger(TaskLedger.class);
    static final String FILE_NAME = "tasks.json";
    static final int MAX_FINISHED = 256;
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * A launched task. {@code runnerPid} is drover-run (0 until started), {@code groupId} the render command's
     * process group (0 until drover-run reports it); start ticks tell them from later processes with the same pid.
     */
    record Running(long jid, int tid, int cid, long runnerPid, long runnerStartTicks, long launchedAtMillis,
            long groupId, long groupStartTicks, long startedAtMillis, long startedSeq) {
        TaskRef task() {
            return new TaskRef(jid, tid, cid);
        }
    }

    /** A finished task and the sequence of the TaskFinished that reported it. */
    record Finished(long jid, int tid, int cid, int exitCode, int signal, long runtimeMillis, long peakRssBytes,
            long finishedAtMillis, long seq) {
        TaskRef task() {
            return new TaskRef(jid, tid, cid);
        }
    }

    record State(List<Running> running, List<Finished> finished) {
    }

    /** What to do with a RunTask. */
    enum Admission { LAUNCH, DUPLICATE }

    private final Path file;
    private final Function<LongFunction<Reliable>, Reliable> send;
    private final LongPredicate settled;
    private final Map<TaskRef, Running> running = new LinkedHashMap<>();
    private final LinkedHashMap<TaskRef, Finished> finished = new LinkedHashMap<>();
    private final List<Running> previousIncarnation;

    private TaskLedger(Path file, Function<LongFunction<Reliable>, Reliable> send, LongPredicate settled,
            State state) {
        this.file = file;
        this.send = send;
        this.settled = settled;
        state.finished().forEach(f -> finished.put(f.task(), f));
        state.running().forEach(r -> running.put(r.task(), r));
        this.previousIncarnation = List.copyOf(state.running());
    }

    /**
     * Loads the ledger the previous agent process left in {@code dir}. Its running tasks are this process's
     * orphans, until {@link #finish} reports them. A TaskFinished already in the outbox ({@code pending})
     * settles its task without a second report.
     *
     * @param send puts a reliable event into the outbox (and on the wire), returning it with its sequence
     * @param settled whether the event with that sequence has been acknowledged (or dropped)
     */
    static TaskLedger open(Path dir, Function<LongFunction<Reliable>, Reliable> send, LongPredicate settled,
            List<Reliable> pending) {
        Path file = dir.resolve(FILE_NAME);
        State state = new State(List.of(), List.of());
        if (Files.exists(file)) {
            try {
                state = JSON.readValue(file.toFile(), State.class);
                state = new State(state.running() != null ? state.running() : List.of(),
                        state.finished() != null ? state.finished() : List.of());
            } catch (IOException | RuntimeException e) {
                Path aside = file.resolveSibling(FILE_NAME + ".damaged-" + System.currentTimeMillis());
                LOGGER.atError().addKeyValue("file", file).addKeyValue("movedTo", aside)
                        .log("task ledger unreadable; tasks of the previous agent process cannot be found: " + e);
                try {
                    Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException moveFailed) {
                    // it will be overwritten at the first change
                }
            }
        }
        TaskLedger ledger = new TaskLedger(file, send, settled, state);
        for (Reliable r : pending) {
            if (r instanceof TaskFinished f && ledger.running.containsKey(f.task())) {
                ledger.recordFinished(f); // reported just before the crash; the outbox will resend it
            }
        }
        return ledger;
    }

    /** Tasks the previous agent process had running and did not report finished. */
    synchronized List<Running> previousIncarnation() {
        List<Running> out = new ArrayList<>();
        for (Running r : previousIncarnation) {
            if (running.containsKey(r.task())) {
                out.add(running.get(r.task()));
            }
        }
        return out;
    }

    /**
     * Decides whether a RunTask starts: never twice at once, never again after a success. A duplicate gets the
     * task's state reported again, unless that report is still on its way (then it arrives on its own). A
     * failed run whose report the coordinator has acknowledged may be retried. A task let in is reserved at
     * once, so a crash before its pid is known still leaves a record to report at the next start.
     */
    synchronized Admission admit(TaskRef task, long nowMillis) {
        Running r = running.get(task);
        if (r != null) {
            if (r.startedSeq() > 0 && settled.test(r.startedSeq())) {
                Reliable again = send.apply(seq -> new TaskStarted(seq, task, r.startedAtMillis(), (int) r.groupId()));
                LOGGER.atInfo().addKeyValue("task", task).addKeyValue("seq", again.seq())
                        .log("duplicate RunTask: task already running here; TaskStarted reported again");
            } else {
                LOGGER.atInfo().addKeyValue("task", task)
                        .log("duplicate RunTask: task already running here (its start report is on its way)");
            }
            return Admission.DUPLICATE;
        }
        Finished f = finished.get(task);
        if (f != null && !settled.test(f.seq())) {
            LOGGER.atInfo().addKeyValue("task", task).addKeyValue("exitCode", f.exitCode())
                    .log("duplicate RunTask: task finished here; its TaskFinished is on its way");
            return Admission.DUPLICATE;
        }
        if (f != null && f.exitCode() == 0) {
            Reliable again = send.apply(seq -> new TaskFinished(seq, task, f.exitCode(), f.signal(), f.runtimeMillis(),
                    f.peakRssBytes(), f.finishedAtMillis()));
            recordFinished((TaskFinished) again);
            LOGGER.atInfo().addKeyValue("task", task).addKeyValue("seq", again.seq())
                    .log("duplicate RunTask: task already succeeded here; TaskFinished reported again, not run again");
            return Admission.DUPLICATE;
        }
        finished.remove(task); // a retry of a failed run the coordinator knows about
        running.put(task, new Running(task.jid(), task.tid(), task.cid(), 0, -1, nowMillis, 0, -1, 0, 0));
        save();
        return Admission.LAUNCH;
    }

    /** drover-run was started for a task admitted earlier. */
    synchronized void launched(TaskRef task, long pid, long startTicks) {
        Running r = running.get(task);
        if (r != null) {
            running.put(task, new Running(r.jid(), r.tid(), r.cid(), pid, startTicks, r.launchedAtMillis(),
                    r.groupId(), r.groupStartTicks(), r.startedAtMillis(), r.startedSeq()));
            save();
        }
    }

    /** drover-run reported the render command started; reported to the coordinator once. */
    synchronized void started(TaskRef task, long atMillis, int pid) {
        Running r = running.get(task);
        if (r == null || r.startedSeq() > 0) {
            return; // a stale or repeated report
        }
        Reliable sent = send.apply(seq -> new TaskStarted(seq, task, atMillis, pid));
        running.put(task, new Running(r.jid(), r.tid(), r.cid(), r.runnerPid(), r.runnerStartTicks(),
                r.launchedAtMillis(), pid, ProcStat.startTicksOf(pid), atMillis, sent.seq()));
        save();
    }

    /** Reports a task finished, if it is running here and not yet reported; true if this call reported it. */
    synchronized boolean finish(TaskRef task, int exitCode, int signal, long runtimeMillis, long peakRssBytes,
            long atMillis) {
        if (!running.containsKey(task)) {
            return false;
        }
        Reliable sent = send.apply(seq -> new TaskFinished(seq, task, exitCode, signal, Math.max(0, runtimeMillis),
                peakRssBytes, atMillis));
        recordFinished((TaskFinished) sent);
        return true;
    }

    /** A RunTask that did not start (refused, or drover-run could not be started): reported as never run. */
    synchronized void notStarted(TaskRef task, long atMillis) {
        running.putIfAbsent(task, new Running(task.jid(), task.tid(), task.cid(), 0, -1, atMillis, 0, -1, 0, 0));
        finish(task, TaskFinished.NOT_STARTED, 0, 0, -1, atMillis);
    }

    synchronized Running running(TaskRef task) {
        return running.get(task);
    }

    /** True for a task this ledger answers for (running or recently finished here): its reports come here. */
    synchronized boolean owns(TaskRef task) {
        return running.containsKey(task) || finished.containsKey(task);
    }

    synchronized int runningCount() {
        return running.size();
    }

    private void recordFinished(TaskFinished f) {
        running.remove(f.task());
        finished.remove(f.task());
        finished.put(f.task(), new Finished(f.task().jid(), f.task().tid(), f.task().cid(), f.exitCode(), f.signal(),
                f.runtimeMillis(), f.peakRssBytes(), f.finishedAtMillis(), f.seq()));
        for (Iterator<TaskRef> it = finished.keySet().iterator(); finished.size() > MAX_FINISHED; ) {
            it.next();
            it.remove();
        }
        save();
    }

    private void save() {
        try {
            StateDirectory.writeAtomically(file, JSON.writeValueAsBytes(new State(List.copyOf(running.values()),
                    List.copyOf(finished.values()))));
        } catch (IOException e) {
            LOGGER.atError().addKeyValue("file", file)
                    .log("cannot save the task ledger; a restart now could not find these tasks: " + e);
        }
    }
}
