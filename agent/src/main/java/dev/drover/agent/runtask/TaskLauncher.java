package dev.drover.agent.runtask;

import dev.drover.agent.local.TaskRelay;
import dev.drover.agent.session.CoordinatorClient;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the built-in queue's tasks (RunTask) the way a Tractor blade would: through {@code drover-run}, with
 * the task's identity in {@code TR_ENV_JID/TID/CID}, so progress, start and finish reach the coordinator by the
 * same path as under Tractor. Only if the wrapper itself dies without reporting does the launcher report the
 * outcome, so every RunTask gets exactly one TaskFinished.
 */
public final class TaskLauncher implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(TaskLauncher.class);
    /** drover-run reports "finished" over the socket just before it exits; give that report time to land. */
    private static final long REPORT_GRACE_MILLIS = 1000;

    private final CoordinatorClient client;
    private final TaskRelay relay;
    private final Path localSocket;
    private final Path taskDir;
    private final List<String> droverRun;
    private final Runnable onIdle;
    private final Map<TaskRef, Process> launched = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "task-launcher");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param droverRun the command that starts drover-run (a launcher script, or java -cp this jar)
     * @param onIdle called when the last launched task has exited (a drain may then complete)
     */
    public TaskLauncher(CoordinatorClient client, TaskRelay relay, Path localSocket, Path taskDir,
            List<String> droverRun, Runnable onIdle) {
        this.onIdle = onIdle;
        this.client = client;
        this.relay = relay;
        this.localSocket = localSocket;
        this.taskDir = taskDir;
        this.droverRun = List.copyOf(droverRun);
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

    /** Tasks started and not yet exited: counted as running before drover-run has reported in. */
    public int pending() {
        return launched.size();
    }

    /** Starts the task, or reports at once that it could not start and why. */
    public void launch(RunTask run, String refusal) {
        TaskRef task = run.task();
        if (refusal != null || launched.containsKey(task)) {
            notStarted(task, refusal != null ? refusal : "already running here");
            return;
        }
        Path log = taskDir.resolve(task.jid() + "-" + task.tid() + "-" + task.cid() + ".log");
        List<String> cmd = new ArrayList<>(droverRun);
        cmd.addAll(List.of("--agent-socket", localSocket.toString(), "--jid", Long.toString(task.jid()), "--tid",
                Integer.toString(task.tid()), "--cid", Integer.toString(task.cid()), "--capture", log.toString(), "--"));
        cmd.addAll(run.argv());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (!run.workingDir().isEmpty()) {
            pb.directory(Path.of(run.workingDir()).toFile());
        }
        Map<String, String> env = pb.environment();
        env.put("TR_ENV_JID", Long.toString(task.jid()));
        env.put("TR_ENV_TID", Integer.toString(task.tid()));
        env.put("TR_ENV_CID", Integer.toString(task.cid()));
        env.put("TR_ENV_SERVICE", run.serviceKey());
        for (String e : run.env()) {
            int eq = e.indexOf('=');
            env.put(e.substring(0, eq), e.substring(eq + 1));
        }
        Process process;
        try {
            Files.createDirectories(taskDir);
            process = pb.start();
        } catch (IOException | RuntimeException e) {
            notStarted(task, "cannot start drover-run: " + e.getMessage());
            return;
        }
        launched.put(task, process);
        LOGGER.atInfo().addKeyValue("task", task).addKeyValue("pid", process.pid()).addKeyValue("argv", run.argv())
                .log("task launched through drover-run");
        process.onExit().thenRun(() -> timer.schedule(() -> exited(task, process), REPORT_GRACE_MILLIS,
                TimeUnit.MILLISECONDS));
    }

    /** SIGTERM to drover-run, which passes it to the task's process group (and KILLs after its grace). */
    public void cancel(CancelTask cancel) {
        Process p = launched.get(cancel.task());
        if (p == null) {
            LOGGER.atInfo().addKeyValue("task", cancel.task()).log("cancel for a task not running here; ignored");
            return;
        }
        LOGGER.atInfo().addKeyValue("task", cancel.task()).addKeyValue("reason", cancel.reason()).log("cancelling task");
        p.destroy();
    }

    /** Stops every task (agent shutdown): drover-run forwards the TERM to each task's group. */
    @Override
    public void close() {
        launched.values().forEach(Process::destroy);
        timer.shutdown();
    }

    private void exited(TaskRef task, Process process) {
        launched.remove(task);
        try {
            reportIfUnreported(task, process);
        } finally {
            if (launched.isEmpty()) {
                onIdle.run();
            }
        }
    }

    private void reportIfUnreported(TaskRef task, Process process) {
        if (relay.takeFinishedReport(task)) {
            return;
        }
        int exit = process.exitValue();
        LOGGER.atWarn().addKeyValue("task", task).addKeyValue("exitCode", exit)
                .log("drover-run exited without reporting the task; reporting it here");
        long now = System.currentTimeMillis();
        client.send(seq -> new TaskFinished(seq, task, exit, 0, 0, -1, now));
    }

    private void notStarted(TaskRef task, String why) {
        LOGGER.atWarn().addKeyValue("task", task).log("task not started: " + why);
        long now = System.currentTimeMillis();
        client.send(seq -> new TaskFinished(seq, task, TaskFinished.NOT_STARTED, 0, 0, -1, now));
    }
}
