package dev.drover.agent.helper;

import dev.drover.agent.run.ShelteredEnvironment;
import dev.drover.agent.runtask.ProcStat;
import dev.drover.agent.runtask.TaskLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks the helper starts for the agent: drover-run behind setpriv's switch to {@code tasks.runAs} (never root,
 * never the agent's own user), each one tied to the connection that asked for it. When that connection closes
 * (the agent stopped, crashed or was killed) its tasks get TERM and, after {@link #STOP_GRACE}, KILL with
 * everything they started: tasks never outlive the agent unnoticed. Exits are told to the agent on the
 * connection that started the task; once it is gone, the restarted agent settles the task from its ledger.
 */
final class HelperTasks {
    private static final Logger LOGGER = LoggerFactory.getLogger(HelperTasks.class);
    /** As the agent unit's stop: TERM, then KILL 8 s later. */
    static final Duration STOP_GRACE = Duration.ofSeconds(8);

    private final String runAs;
    private final long runAsUid;
    private final long runAsGid;
    /** Why no task can be started, or null. */
    private final String refusal;
    private final Duration stopGrace;
    private final Map<HelperServer.HelperConnection, Map<Long, Process>> byConnection = new ConcurrentHashMap<>();
    /** Starts tasks and outlives them all: the parent-death signal fires when the creating thread ends. */
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "drover-helper-tasks");
        t.setDaemon(true);
        return t;
    });

    /** @param agentUid the agent's own uid: tasks must never run as it (they could then signal or read it) */
    HelperTasks(String runAs, long agentUid, Duration stopGrace) {
        this.runAs = runAs;
        this.stopGrace = stopGrace;
        OptionalLong uid = runAs.isEmpty() ? OptionalLong.empty() : dev.drover.agent.runtask.UnixUsers.uid(runAs);
        OptionalLong gid = runAs.isEmpty() ? OptionalLong.empty()
                : dev.drover.agent.runtask.UnixUsers.primaryGid(runAs);
        this.runAsUid = uid.orElse(-1);
        this.runAsGid = gid.orElse(-1);
        if (runAs.isEmpty()) {
            refusal = "tasks.runAs is empty in the helper's config: the helper runs tasks only as that user";
        } else if (uid.isEmpty() || gid.isEmpty()) {
            refusal = "tasks.runAs " + runAs + " names no user on this node";
        } else if (runAsUid == 0 || runAsGid == 0) {
            refusal = "tasks.runAs " + runAs + " is root (uid or gid 0)";
        } else if (runAsUid == agentUid) {
            refusal = "tasks.runAs " + runAs + " is the agent's own user (uid " + agentUid + ")";
        } else if (!Files.isExecutable(Path.of(TaskLauncher.SETPRIV))) {
            refusal = TaskLauncher.SETPRIV + " not found: cannot switch to tasks.runAs";
        } else {
            refusal = null;
        }
        if (refusal != null) {
            LOGGER.atError().log(refusal + "; built-in queue tasks will be refused");
        }
    }

    /** Starts the task on the tasks' thread and answers on the connection: pid and start ticks, or why not. */
    void start(HelperServer.HelperConnection conn, HelperProtocol.Start start) {
        if (refusal != null) {
            conn.send(HelperService.refuse(start.id(), "start " + HelperProtocol.clip(start.task()) + ": " + refusal));
            return;
        }
        thread.execute(() -> conn.send(launch(conn, start)));
    }

    private String launch(HelperServer.HelperConnection conn, HelperProtocol.Start start) {
        List<String> command = new ArrayList<>(List.of(TaskLauncher.SETPRIV, "--reuid", Long.toString(runAsUid),
                "--regid", Long.toString(runAsGid), "--init-groups", "--inh-caps", "-all", "--pdeathsig", "TERM",
                "--"));
        command.addAll(start.argv());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process;
        synchronized (conn) {
            if (conn.gone()) {
                return HelperProtocol.error(start.id(), "connection closed");
            }
            try {
                // setpriv starts as root: a fixed environment in /, and drover-run enters the directory as the
                // task user (a NUL in a name or value is refused here, with the others)
                ShelteredEnvironment.applyTo(pb, start.env(), start.workingDir());
                process = pb.start();
            } catch (IOException | RuntimeException e) {
                return HelperService.refuse(start.id(), "start " + HelperProtocol.clip(start.task()) + ": "
                        + e.getMessage());
            }
            byConnection.computeIfAbsent(conn, c -> new ConcurrentHashMap<>()).put(start.id(), process);
        }
        long ticks = ProcStat.startTicksOf(process.pid());
        LOGGER.atInfo().addKeyValue("task", start.task()).addKeyValue("pid", process.pid()).addKeyValue("runAs", runAs)
                .log("task started for the agent");
        process.onExit().thenRun(() -> {
            Map<Long, Process> mine = byConnection.get(conn);
            if (mine != null) {
                mine.remove(start.id());
            }
            conn.send(HelperProtocol.exited(start.id(), start.task(), process.pid(), process.exitValue()));
        });
        return HelperProtocol.ok(start.id()).put("pid", process.pid()).put("startTicks", ticks).toString();
    }

    /** TERM/KILL to a process of the task user's, named by pid and start ticks; anything else is refused. */
    String signal(HelperProtocol.Signal s) {
        if (refusal != null) {
            return HelperService.refuse(s.id(), "signal: " + refusal);
        }
        long ticks = ProcStat.startTicksOf(s.pid());
        if (ticks < 0) {
            return HelperService.refuse(s.id(), "signal: no live process " + s.pid());
        }
        if (ticks != s.startTicks()) {
            return HelperService.refuse(s.id(), "signal: process " + s.pid() + " started at tick " + ticks
                    + ", not " + s.startTicks() + " (another process)");
        }
        long uid = realAndEffectiveUid(s.pid());
        if (uid != runAsUid) {
            return HelperService.refuse(s.id(), "signal: process " + s.pid() + " runs as uid " + uid
                    + ", not as tasks.runAs (" + runAsUid + ")");
        }
        boolean sent = ProcessHandle.of(s.pid()).map(h -> s.kill() ? h.destroyForcibly() : h.destroy()).orElse(false);
        return HelperProtocol.ok(s.id()).put("sent", sent).toString();
    }

    /** The agent is gone: TERM every task it started here, KILL (with all they started) after the grace. */
    void connectionClosed(HelperServer.HelperConnection conn) {
        Map<Long, Process> mine;
        synchronized (conn) {
            conn.close();
            mine = byConnection.remove(conn);
        }
        if (mine == null || mine.isEmpty()) {
            return;
        }
        List<Process> left = List.copyOf(mine.values());
        LOGGER.atWarn().addKeyValue("tasks", left.size()).addKeyValue("connection", conn.number())
                .log("agent connection closed with tasks running: stopping them");
        left.forEach(Process::destroy);
        thread.schedule(() -> {
            for (Process p : left) {
                if (p.isAlive()) {
                    LOGGER.atWarn().addKeyValue("pid", p.pid()).log("task did not stop on TERM; killing it");
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }
        }, stopGrace.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** uid from /proc/PID/status when real and effective uid agree; -1 otherwise (or when it is gone). */
    static long realAndEffectiveUid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.substring(4).trim().split("\\s+");
                    return f[0].equals(f[1]) ? Long.parseLong(f[0]) : -1;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    void close() {
        thread.shutdownNow();
    }
}
