package dev.drover.agent.runtask;

import dev.drover.protocol.TaskRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops what is left of tasks a previous agent process started: their drover-run and the whole process group
 * of each render command, TERM first, KILL after a grace period. A process is only signalled when it is
 * provably the recorded one (same pid and the same start time in /proc), or a member of a recorded group whose
 * id cannot have been handed out again while any member lives.
 */
final class OrphanReaper {
    private static final Logger LOGGER = LoggerFactory.getLogger(OrphanReaper.class);
    static final int SIGTERM = 15;
    static final int SIGKILL = 9;
    private static final long POLL_MILLIS = 50;

    private OrphanReaper() {
    }

    /**
     * Stops every orphan and waits until none of their processes is left (bounded: {@code grace} after TERM,
     * then as long again after KILL). Returns, per task, the last signal it took (0: nothing was running).
     */
    static Map<TaskRef, Integer> stop(List<TaskLedger.Running> orphans, Duration grace) {
        return stop(orphans, grace, new LocalTaskStarter());
    }

    /** As above, with the signals sent by {@code signaller} (the root helper when the agent has no CAP_KILL). */
    static Map<TaskRef, Integer> stop(List<TaskLedger.Running> orphans, Duration grace, TaskStarter signaller) {
        long ownGroup = ProcStat.of(ProcessHandle.current().pid()).map(ProcStat::pgrp).orElse(-1L);
        Map<TaskRef, Target> targets = new LinkedHashMap<>();
        for (TaskLedger.Running r : orphans) {
            targets.put(r.task(), Target.of(r, ownGroup));
        }
        Map<TaskRef, Integer> signals = new LinkedHashMap<>();
        targets.forEach((task, t) -> {
            List<Long> alive = t.alive();
            signals.put(task, alive.isEmpty() ? 0 : SIGTERM);
            LOGGER.atWarn().addKeyValue("task", task).addKeyValue("runnerPid", t.runnerPid)
                    .addKeyValue("groups", t.groups).addKeyValue("alive", alive.size())
                    .log(alive.isEmpty() ? "task of the previous agent process is gone"
                            : "task of the previous agent process still running; stopping it");
            signal(signaller, alive, false);
        });
        if (!awaitGone(signaller, targets.values(), grace)) {
            targets.forEach((task, t) -> {
                List<Long> alive = t.alive();
                if (!alive.isEmpty()) {
                    signals.put(task, SIGKILL);
                    LOGGER.atWarn().addKeyValue("task", task).addKeyValue("alive", alive.size())
                            .log("task of the previous agent process ignored TERM; killing it");
                }
                signal(signaller, alive, true);
            });
            if (!awaitGone(signaller, targets.values(), grace)) {
                LOGGER.atError().log("processes of the previous agent's tasks survived KILL (uninterruptible I/O?)");
            }
        }
        return signals;
    }

    private static boolean awaitGone(TaskStarter signaller, Iterable<Target> targets, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            boolean any = false;
            for (Target t : targets) {
                List<Long> alive = t.alive();
                if (!alive.isEmpty()) {
                    any = true;
                    signal(signaller, alive, false); // members forked since the last pass get the same signal
                }
            }
            if (!any) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static void signal(TaskStarter signaller, List<Long> pids, boolean kill) {
        for (long pid : pids) {
            long ticks = ProcStat.startTicksOf(pid);
            if (ticks >= 0) {
                signaller.signal(pid, ticks, kill);
            }
        }
    }

    /** The processes one orphaned task may have left. */
    private static final class Target {
        final long runnerPid;
        final long runnerStartTicks;
        final Set<Long> groups = new HashSet<>();

        private Target(long runnerPid, long runnerStartTicks) {
            this.runnerPid = runnerPid;
            this.runnerStartTicks = runnerStartTicks;
        }

        static Target of(TaskLedger.Running r, long ownGroup) {
            boolean runnerIsOurs = r.runnerPid() > 0 && r.runnerStartTicks() >= 0
                    && ProcStat.startTicksOf(r.runnerPid()) == r.runnerStartTicks();
            Target t = new Target(runnerIsOurs ? r.runnerPid() : 0, r.runnerStartTicks());
            if (r.groupId() > 0 && r.groupId() != ownGroup) {
                // The leader's pid may only have been reused if the whole group was gone.
                var leader = ProcStat.of(r.groupId());
                if (leader.isEmpty() || !leader.get().alive() || leader.get().startTicks() == r.groupStartTicks()) {
                    t.groups.add(r.groupId());
                }
            }
            if (runnerIsOurs) {
                // drover-run's render command before it could report: a child that leads its own group.
                for (ProcStat p : ProcStat.all()) {
                    if (p.ppid() == r.runnerPid() && p.pgrp() == p.pid() && p.pgrp() != ownGroup) {
                        t.groups.add(p.pgrp());
                    }
                }
            }
            return t;
        }

        List<Long> alive() {
            List<Long> out = new ArrayList<>();
            if (runnerPid > 0 && ProcStat.startTicksOf(runnerPid) == runnerStartTicks) {
                out.add(runnerPid);
            }
            if (!groups.isEmpty()) {
                for (ProcStat p : ProcStat.all()) {
                    if (p.alive() && groups.contains(p.pgrp()) && p.pid() != ProcessHandle.current().pid()) {
                        out.add(p.pid());
                    }
                }
            }
            return out;
        }
    }
}
