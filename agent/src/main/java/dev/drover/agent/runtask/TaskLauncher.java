package dev.drover.agent.runtask;

import dev.drover.agent.local.TaskRelay;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the built-in queue's tasks (RunTask) the way a Tractor blade would: through {@code drover-run}, with
 * the task's identity in {@code TR_ENV_JID/TID/CID}, so progress, start and finish reach the coordinator by the
 * same path as under Tractor. Every RunTask gets exactly one TaskFinished, through the {@link TaskLedger},
 * whatever ends it: drover-run's report, the wrapper dying, the agent stopping, or the agent being killed (the
 * next agent process finds the task, stops it and reports it). drover-run is started with a parent-death signal
 * (setpriv), so it stops its task when this process dies, and it never sees Drover's own secrets. Where it is
 * started is the {@link TaskStarter}'s: here, or by the root helper when the agent runs unprivileged (which then
 * stops the tasks when this agent's connection to it closes).
 */
public final class TaskLauncher implements TaskRelay.Owner, AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(TaskLauncher.class);
    /** drover-run reports "finished" over the socket just before it exits; give that report time to land. */
    private static final long REPORT_GRACE_MILLIS = 1000;
    /**
     * Exit code of a task the agent found running from its previous process and stopped (or found already
     * gone): it did not finish on its own. The signal field says what stopped it, if anything.
     */
    public static final int AGENT_RESTARTED = -3;
    public static final String SETPRIV = "/usr/bin/setpriv";
    private static final int MIN_SECRET_MATCH = 8;
    /** Inherited variables that never reach a task, whatever their value. */
    private static final Set<String> WITHHELD_ENV = Set.of("DROVER_ENROLMENT_TOKEN", "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY");

    private final TaskRelay relay;
    private final Path localSocket;
    private final Path taskDir;
    private final List<String> droverRun;
    private final Runnable onIdle;
    private final TaskLedger ledger;
    private final Map<String, String> inheritedEnv;
    private final String runAs;
    private final Set<String> secrets;
    private final TaskStarter starter;
    private final Map<TaskRef, TaskHandle> launched = new ConcurrentHashMap<>();
    /**
     * Starts drover-run and outlives every task: Linux sends the parent-death signal when the *thread* that
     * created the child ends, so children are never started from short-lived or pooled threads.
     */
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "task-launcher");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param stateDir where the ledger of running and recently finished tasks is kept across restarts
     * @param send puts a reliable event in the outbox; {@code settled} says whether one was acknowledged
     * @param pending the outbox's unacknowledged events at start-up
     * @param droverRun the command that starts drover-run (a launcher script, or java -cp this jar)
     * @param inheritedEnv the environment a task starts from (normally this process's), before scrubbing
     * @param secrets values that must never reach a task (the enrolment token, secrets from the agent config)
     * @param onIdle called when the last launched task has exited (a drain may then complete)
     */
    public TaskLauncher(Path stateDir, Function<LongFunction<Reliable>, Reliable> send, LongPredicate settled,
            List<Reliable> pending, TaskRelay relay, Path localSocket, Path taskDir, List<String> droverRun,
            Map<String, String> inheritedEnv, Set<String> secrets, Runnable onIdle) {
        this(stateDir, send, settled, pending, relay, localSocket, taskDir, droverRun, inheritedEnv, secrets, onIdle,
                "");
    }

    /**
     * @param runAs the user tasks run as ({@code tasks.runAs}); empty: the agent's own user. Switched by setpriv
     *     (user, its group and supplementary groups), which needs the agent to hold CAP_SETUID/CAP_SETGID.
     */
    public TaskLauncher(Path stateDir, Function<LongFunction<Reliable>, Reliable> send, LongPredicate settled,
            List<Reliable> pending, TaskRelay relay, Path localSocket, Path taskDir, List<String> droverRun,
            Map<String, String> inheritedEnv, Set<String> secrets, Runnable onIdle, String runAs) {
        this(stateDir, send, settled, pending, relay, localSocket, taskDir, droverRun, inheritedEnv, secrets, onIdle,
                runAs, new LocalTaskStarter());
    }

    /**
     * @param starter starts drover-run and signals tasks: in this process, or through the root helper, which
     *     then does the switch to {@code runAs} itself (and refuses tasks when it cannot)
     */
    public TaskLauncher(Path stateDir, Function<LongFunction<Reliable>, Reliable> send, LongPredicate settled,
            List<Reliable> pending, TaskRelay relay, Path localSocket, Path taskDir, List<String> droverRun,
            Map<String, String> inheritedEnv, Set<String> secrets, Runnable onIdle, String runAs,
            TaskStarter starter) {
        this.runAs = runAs == null ? "" : runAs;
        this.starter = starter;
        this.ledger = TaskLedger.open(stateDir, send, settled, pending);
        this.relay = relay;
        this.localSocket = localSocket;
        this.taskDir = taskDir;
        this.droverRun = starter.switchesUserItself() ? List.copyOf(droverRun)
                : launchCommand(droverRun, this.runAs, this.runAs.isEmpty() ? "" : primaryGroup(this.runAs),
                        Files.isExecutable(Path.of(SETPRIV)));
        this.inheritedEnv = Map.copyOf(inheritedEnv);
        this.secrets = Set.copyOf(secrets);
        this.onIdle = onIdle;
        relay.owner(this);
    }

    /** drover-run from the jar this agent runs from, on the same Java, with the wrapper's small-JVM flags. */
    public static List<String> droverRunFromThisJar() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String jar;
        try {
            jar = Path.of(TaskLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            jar = System.getProperty("java.class.path");
        }
        return List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xms8m", "-Xmx48m",
                "-cp", jar, "dev.drover.agent.run.DroverRunMain");
    }

    /**
     * drover-run behind util-linux setpriv: TERM to it when this process dies (it passes TERM on to its task's
     * group), and with {@code runAs} the switch to that user, its group and its supplementary groups, so a task
     * never runs with the agent's privileges. Without setpriv tasks still run, but not as another user: then
     * the command is empty and every task is refused with the reason.
     */
    static List<String> launchCommand(List<String> command, String runAs, String group, boolean setprivPresent) {
        if (!runAs.isEmpty() && group.isEmpty()) {
            LOGGER.atError().addKeyValue("runAs", runAs).log("tasks.runAs names no user on this node; built-in queue "
                    + "tasks will be refused");
            return List.of();
        }
        if (!setprivPresent) {
            if (!runAs.isEmpty()) {
                LOGGER.atError().addKeyValue("runAs", runAs).log(SETPRIV + " not found: cannot switch to tasks.runAs; "
                        + "built-in queue tasks will be refused");
                return List.of();
            }
            LOGGER.atWarn().log(SETPRIV + " not found: tasks will not be stopped at once if the agent dies "
                    + "(the next agent process still finds and stops them)");
            return List.copyOf(command);
        }
        List<String> out = new ArrayList<>(List.of(SETPRIV));
        if (!runAs.isEmpty()) {
            out.addAll(List.of("--reuid", runAs, "--regid", group, "--init-groups", "--inh-caps", "-all"));
        }
        out.addAll(List.of("--pdeathsig", "TERM", "--"));
        out.addAll(command);
        return List.copyOf(out);
    }

    /** The user's primary group id ({@code id -g}), or "" when there is no such user. */
    static String primaryGroup(String user) {
        java.util.OptionalLong gid = UnixUsers.primaryGid(user);
        return gid.isPresent() ? Long.toString(gid.getAsLong()) : "";
    }

    /**
     * Finds the tasks the previous agent process left running, stops them (whole process groups, TERM then
     * KILL) and reports each finished once. Call before drover-run can reach this agent (the local socket).
     */
    public void reapPreviousIncarnation(Duration grace) {
        List<TaskLedger.Running> orphans = ledger.previousIncarnation();
        if (orphans.isEmpty()) {
            return;
        }
        Map<TaskRef, Integer> signals = OrphanReaper.stop(orphans, grace, starter);
        long now = System.currentTimeMillis();
        for (TaskLedger.Running r : orphans) {
            int signal = signals.getOrDefault(r.task(), 0);
            if (ledger.finish(r.task(), AGENT_RESTARTED, signal, now - r.launchedAtMillis(), -1, now)) {
                LOGGER.atWarn().addKeyValue("task", r.task()).addKeyValue("signal", signal)
                        .log("task of the previous agent process reported finished (agent restarted)");
            }
        }
    }

    /** Tasks started and not yet exited: counted as running before drover-run has reported in. */
    public int pending() {
        return launched.size();
    }

    /** Starts the task, or reports at once that it could not start and why; a duplicate is never run twice. */
    public void launch(RunTask run, String refusal) {
        TaskRef task = run.task();
        if (ledger.admit(task, System.currentTimeMillis()) == TaskLedger.Admission.DUPLICATE) {
            return;
        }
        if (refusal == null && droverRun.isEmpty()) {
            refusal = "tasks.runAs is " + runAs + " but this node cannot switch to it (no such user, or no "
                    + SETPRIV + ")";
        }
        if (refusal != null) {
            notStarted(task, refusal);
            return;
        }
        try {
            thread.submit(() -> start(run)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            notStarted(task, "agent stopping");
        } catch (ExecutionException | java.util.concurrent.RejectedExecutionException e) {
            notStarted(task, "cannot start drover-run: " + e.getMessage());
        }
    }

    private void start(RunTask run) {
        TaskRef task = run.task();
        Path log = taskDir.resolve(task.jid() + "-" + task.tid() + "-" + task.cid() + ".log");
        List<String> cmd = new ArrayList<>(droverRun);
        cmd.addAll(List.of("--agent-socket", localSocket.toString(), "--jid", Long.toString(task.jid()), "--tid",
                Integer.toString(task.tid()), "--cid", Integer.toString(task.cid()), "--capture", log.toString(), "--"));
        cmd.addAll(run.argv());
        Map<String, String> env = new java.util.HashMap<>();
        taskEnvironment(env, run);
        TaskHandle process;
        try {
            Files.createDirectories(taskDir);
            if (!runAs.isEmpty()) {
                // drover-run writes the task's captured output here as the task's user
                Files.setPosixFilePermissions(taskDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            process = starter.start(task, cmd, env, run.workingDir());
        } catch (IOException | RuntimeException e) {
            notStarted(task, "cannot start drover-run: " + e.getMessage());
            return;
        }
        launched.put(task, process);
        ledger.launched(task, process.pid(), process.startTicks());
        LOGGER.atInfo().addKeyValue("task", task).addKeyValue("pid", process.pid()).addKeyValue("argv", run.argv())
                .log("task launched through drover-run");
        long startNanos = System.nanoTime();
        process.onExit().thenRun(() -> thread.schedule(() -> exited(task, process, startNanos), REPORT_GRACE_MILLIS,
                TimeUnit.MILLISECONDS));
    }

    /** The agent's environment minus its secrets, then the task's identity and the RunTask's own variables. */
    void taskEnvironment(Map<String, String> env, RunTask run) {
        env.clear();
        inheritedEnv.forEach((name, value) -> {
            // Matched by value too (a secret under another name), unless too short to tell from ordinary text.
            if (!WITHHELD_ENV.contains(name) && secrets.stream()
                    .noneMatch(s -> s.length() >= MIN_SECRET_MATCH && value.contains(s))) {
                env.put(name, value);
            }
        });
        TaskRef task = run.task();
        env.put("TR_ENV_JID", Long.toString(task.jid()));
        env.put("TR_ENV_TID", Integer.toString(task.tid()));
        env.put("TR_ENV_CID", Integer.toString(task.cid()));
        env.put("TR_ENV_SERVICE", run.serviceKey());
        for (String e : run.env()) {
            int eq = e.indexOf('=');
            env.put(e.substring(0, eq), e.substring(eq + 1));
        }
    }

    /** SIGTERM to drover-run, which passes it to the task's process group (and KILLs after its grace). */
    public void cancel(CancelTask cancel) {
        TaskHandle p = launched.get(cancel.task());
        if (p == null) {
            LOGGER.atInfo().addKeyValue("task", cancel.task()).log("cancel for a task not running here; ignored");
            return;
        }
        LOGGER.atInfo().addKeyValue("task", cancel.task()).addKeyValue("reason", cancel.reason()).log("cancelling task");
        p.terminate();
    }

    /**
     * Agent shutdown: TERM to every task (drover-run passes it to the task's group and reports the finish),
     * KILL for what is still there after {@code grace}, and a TaskFinished for each one that did not report
     * itself. Returns once every launched task is reported (into the outbox).
     */
    public void stopAll(Duration grace) throws InterruptedException {
        if (launched.isEmpty()) {
            return;
        }
        LOGGER.atInfo().addKeyValue("tasks", launched.size()).log("agent stopping: stopping its tasks");
        launched.values().forEach(TaskHandle::terminate);
        long deadline = System.nanoTime() + grace.toNanos();
        while (!launched.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        for (Map.Entry<TaskRef, TaskHandle> e : Map.copyOf(launched).entrySet()) {
            TaskRef task = e.getKey();
            TaskLedger.Running r = ledger.running(task);
            LOGGER.atWarn().addKeyValue("task", task).log("task did not stop on TERM; killing its process group");
            OrphanReaper.stop(r != null ? List.of(r) : List.of(), Duration.ofSeconds(2), starter);
            e.getValue().kill();
            long now = System.currentTimeMillis();
            ledger.finish(task, 128 + OrphanReaper.SIGKILL, OrphanReaper.SIGKILL,
                    r != null ? now - r.launchedAtMillis() : 0, -1, now);
            launched.remove(task);
        }
    }

    @Override
    public void close() {
        thread.shutdown();
    }

    private void exited(TaskRef task, TaskHandle process, long startNanos) {
        launched.remove(task);
        try {
            boolean reportedByWrapper = relay.takeFinishedReport(task);
            int exit = process.exitValue();
            long now = System.currentTimeMillis();
            long runtime = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            int signal = exit > 128 && exit < 160 ? exit - 128 : 0;
            if (ledger.finish(task, exit, signal, runtime, -1, now) && !reportedByWrapper) {
                LOGGER.atWarn().addKeyValue("task", task).addKeyValue("exitCode", exit)
                        .log("drover-run exited without reporting the task; reported here");
            }
        } finally {
            if (launched.isEmpty()) {
                onIdle.run();
            }
        }
    }

    private void notStarted(TaskRef task, String why) {
        LOGGER.atWarn().addKeyValue("task", task).log("task not started: " + why);
        ledger.notStarted(task, System.currentTimeMillis());
    }

    // ---- TaskRelay.Owner: drover-run's reports for tasks launched here go through the ledger ----------------

    @Override
    public boolean owns(TaskRef task) {
        return ledger.owns(task);
    }

    @Override
    public void started(TaskRef task, long atMillis, int pid) {
        ledger.started(task, atMillis, pid);
    }

    @Override
    public void finished(TaskRef task, int exitCode, int signal, long runtimeMillis, long peakRssBytes,
            long atMillis) {
        ledger.finish(task, exitCode, signal, runtimeMillis, peakRssBytes, atMillis);
    }
}
