package dev.drover.agent.runtask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.agent.mounts.CommandRunner;
import dev.drover.agent.mounts.MountTable;
import dev.drover.protocol.Hello;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The privilege split as shipped, with real processes: the helper (this jar, {@code helper}) as root, the agent
 * (this jar) as user nobody with no capability at all, tasks as user daemon. The agent's mount is done by the
 * helper and seen in this (the host's) namespace; a task runs as the task user and is reported once; when the
 * agent is killed the helper stops its task, and the next agent reports it once. Needs root.
 */
class PrivilegeSplitIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String AGENT_UID = "65534"; // nobody
    private static final String RUN_AS = "daemon";

    @TempDir
    Path dir;
    private ScriptedCoordinator coordinator;
    private final List<Process> processes = new ArrayList<>();
    private final List<Long> taskGroups = new ArrayList<>();
    private Path config;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(System.getProperty("user.name")).as("the helper mounts and switches users; run as root")
                .isEqualTo("root");
        coordinator = new ScriptedCoordinator();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String d : List.of("state", "scratch", "run")) {
            Files.createDirectories(dir.resolve(d));
            run("chown", AGENT_UID + ":" + AGENT_UID, dir.resolve(d).toString());
        }
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path export = Files.createDirectories(dir.resolve("export"));
        Files.writeString(export.resolve("probe.txt"), "frames");
        config = dir.resolve("agent.yaml");
        Files.writeString(config, String.join("\n",
                "coordinator: {host: 127.0.0.1, port: " + coordinator.port() + "}",
                "node: {id: split-node, pool: test}",
                "imds: {enabled: false}",
                "reconnect: {initialDelayMillis: 50, maxDelayMillis: 500}",
                "scratchDir: " + dir.resolve("scratch"),
                "localSocket: " + dir.resolve("run/agent.sock"),
                "stateDir: " + dir.resolve("state"),
                "mounts:",
                "  - {name: cache, backend: bind, export: " + export + ", mountPoint: " + dir.resolve("mnt/cache")
                        + ", probeFile: probe.txt, probeIntervalMillis: 1000, probeTimeoutMillis: 500}",
                "tasks: {runAs: " + RUN_AS + "}",
                "helper: {socket: " + dir.resolve("helper/helper.sock") + ", agentUser: nobody}", ""));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        for (long group : taskGroups) {
            ProcStat.all().stream().filter(p -> p.pgrp() == group && p.alive())
                    .forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly));
        }
        coordinator.close();
        new CommandRunner().run(List.of("umount", "-l", dir.resolve("mnt/cache").toString()), 10_000);
        assertThat(coordinator.violations).isEmpty();
    }

    private static void run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", List.of(argv), out).isZero();
    }

    private Process startHelper() throws IOException {
        Path log = dir.resolve("helper.log");
        Process p = new ProcessBuilder(java(), "-Xmx64m", "-jar", AgentProcess.JAR.toString(), "helper", "--config",
                config.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        await().atMost(WAIT).until(() -> Files.readString(log).contains("helper listening"));
        return p;
    }

    /** The agent as nobody: no capability in any set, none to gain (bounding set empty, no new privileges). */
    private Process startAgent(String name) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid", AGENT_UID, "--regid", AGENT_UID,
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", java(), "-Xmx64m",
                "-jar", AgentProcess.JAR.toString(), "--config", config.toString(), "--insecure-plaintext")
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("DROVER_ENROLMENT_TOKEN", AgentProcess.TOKEN);
        pb.environment().put("HOME", dir.resolve("state").toString());
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String status(long pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith(field + ":")).findFirst().orElseThrow().substring(field.length() + 1).strip();
    }

    private void awaitHellos(int count) {
        await().atMost(WAIT).until(() -> coordinator.received.stream().filter(r -> r.message() instanceof Hello)
                .count() >= count);
    }

    private void runTask(TaskRef task, String script) throws InterruptedException {
        coordinator.send(seq -> new RunTask(seq, task, "test", List.of("sh", "-c", script), List.of(), ""));
    }

    @Test
    void unprivilegedAgentMountsAndRunsTasksThroughTheHelper() throws Exception {
        startHelper();
        Process agent = startAgent("agent");
        awaitHellos(1);

        // the agent really is unprivileged
        assertThat(status(agent.pid(), "Uid")).startsWith(AGENT_UID + "\t");
        assertThat(status(agent.pid(), "CapEff")).isEqualTo("0000000000000000");
        assertThat(status(agent.pid(), "CapBnd")).isEqualTo("0000000000000000");

        // its mount, done by the helper, is seen here and by a process that is no child of either
        Path mountPoint = dir.resolve("mnt/cache");
        await().atMost(WAIT).until(() -> MountTable.isMounted(mountPoint.toString()));
        Process blade = new ProcessBuilder("setsid", "cat", mountPoint.resolve("probe.txt").toString()).start();
        assertThat(new String(blade.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("frames");

        // a task runs as tasks.runAs and is reported once
        TaskRef quick = new TaskRef(21, 1, 0);
        Path uidFile = dir.resolve("out/uid");
        runTask(quick, "id -u > " + uidFile);
        await().atMost(WAIT).until(() -> !coordinator.finishes(quick).isEmpty());
        assertThat(coordinator.finishes(quick).get(0).exitCode()).isZero();
        assertThat(Files.readString(uidFile).strip())
                .isEqualTo(Long.toString(UnixUsers.uid(RUN_AS).getAsLong())).isNotEqualTo(AGENT_UID).isNotEqualTo("0");

        // the agent is killed while a task that ignores TERM runs: the helper stops it
        TaskRef slow = new TaskRef(22, 1, 0);
        Path pidFile = dir.resolve("out/slow.pid");
        runTask(slow, "trap '' TERM; echo $$ > " + pidFile + "; sleep 600");
        await().atMost(WAIT).until(() -> coordinator.reliable().stream()
                .anyMatch(r -> r instanceof TaskStarted s && s.task().equals(slow)));
        await().atMost(WAIT).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        long group = Long.parseLong(Files.readString(pidFile).strip());
        taskGroups.add(group);
        assertThat(status(group, "Uid")).startsWith(UnixUsers.uid(RUN_AS).getAsLong() + "\t");

        agent.destroyForcibly();
        agent.waitFor(30, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> ProcStat.all().stream().noneMatch(p -> p.pgrp() == group && p.alive()));

        // the next agent reports it finished, once; the quick task is not reported again
        startAgent("second");
        awaitHellos(2);
        await().atMost(WAIT).until(() -> !coordinator.finishes(slow).isEmpty());
        Thread.sleep(3000); // a second report would arrive here
        assertThat(coordinator.finishes(slow)).singleElement()
                .satisfies(f -> assertThat(f.exitCode()).isEqualTo(TaskLauncher.AGENT_RESTARTED));
        assertThat(coordinator.finishes(quick)).hasSize(1);
        assertThat(coordinator.reliable().stream().filter(r -> r instanceof TaskFinished).count()).isEqualTo(2);
    }

    @Test
    void aTaskOfAHelperThatDiedIsReportedOnceAndTheAgentReconnectsToTheNextHelper() throws Exception {
        Process helper = startHelper();
        startAgent("agent");
        awaitHellos(1);
        TaskRef task = new TaskRef(23, 1, 0);
        Path pidFile = dir.resolve("out/task.pid");
        runTask(task, "echo $$ > " + pidFile + "; exec sleep 600");
        await().atMost(WAIT).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        long group = Long.parseLong(Files.readString(pidFile).strip());
        taskGroups.add(group);

        // drover-run's parent-death signal (the helper) stops the task; the agent hears of it once
        helper.destroyForcibly();
        helper.waitFor(30, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> ProcStat.all().stream().noneMatch(p -> p.pgrp() == group && p.alive()));
        await().atMost(WAIT).until(() -> !coordinator.finishes(task).isEmpty());

        startHelper();
        TaskRef next = new TaskRef(23, 2, 0);
        runTask(next, "exit 0");
        await().atMost(WAIT).until(() -> !coordinator.finishes(next).isEmpty());
        assertThat(coordinator.finishes(next).get(0).exitCode()).as("started through the new helper").isZero();
        Thread.sleep(3000);
        assertThat(coordinator.finishes(task)).hasSize(1);
    }

    @Test
    void sigtermStopsTheTaskThroughTheHelperAndReportsItBeforeGoodbye() throws Exception {
        startHelper();
        Process agent = startAgent("agent");
        awaitHellos(1);
        TaskRef task = new TaskRef(24, 1, 0);
        Path pidFile = dir.resolve("out/term.pid");
        runTask(task, "echo $$ > " + pidFile + "; exec sleep 600");
        await().atMost(WAIT).until(() -> coordinator.reliable().stream()
                .anyMatch(r -> r instanceof TaskStarted s && s.task().equals(task)));
        await().atMost(WAIT).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        long group = Long.parseLong(Files.readString(pidFile).strip());
        taskGroups.add(group);

        agent.destroy(); // SIGTERM, as systemd stops the unit: the agent, without CAP_KILL, asks the helper
        assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(agent.exitValue()).isZero();
        assertThat(coordinator.finishes(task)).singleElement().satisfies(f -> {
            assertThat(f.exitCode()).isEqualTo(128 + OrphanReaper.SIGTERM);
            assertThat(f.signal()).isEqualTo(OrphanReaper.SIGTERM);
        });
        assertThat(ProcStat.all().stream().noneMatch(p -> p.pgrp() == group && p.alive())).isTrue();
    }
    @Test
    void theTaskEntersItsDirectoryAsItsOwnUserWithExactlyItsOwnVariables() throws Exception {
        startHelper();
        startAgent("agent");
        awaitHellos(1);
        Path out = dir.resolve("out");
        TaskRef open = new TaskRef(25, 1, 0);
        coordinator.send(seq -> new RunTask(seq, open, "test", List.of("sh", "-c", "pwd > pwd; env > env"),
                List.of("SHOT=a010", "LANG=C", "LD_LIBRARY_PATH=/opt/rman/lib"), out.toString()));
        await().atMost(WAIT).until(() -> !coordinator.finishes(open).isEmpty());
        assertThat(coordinator.finishes(open).get(0).exitCode()).isZero();
        assertThat(Files.readString(out.resolve("pwd")).strip()).isEqualTo(out.toString());
        List<String> env = Files.readAllLines(out.resolve("env"));
        assertThat(env).contains("SHOT=a010", "LANG=C", "LD_LIBRARY_PATH=/opt/rman/lib", "TR_ENV_JID=25")
                .noneMatch(v -> v.startsWith("DROVER_SHELTERED") || v.startsWith("DROVER_TASK_WORKING_DIR")
                        || v.startsWith("DROVER_ENROLMENT_TOKEN"));

        // a directory the task's user may not enter: root would have entered it for the task; the task never runs
        Path closed = Files.createDirectories(dir.resolve("root-only"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        TaskRef refused = new TaskRef(25, 2, 0);
        Path ran = out.resolve("ran");
        coordinator.send(seq -> new RunTask(seq, refused, "test", List.of("sh", "-c", "touch " + ran), List.of(),
                closed.toString()));
        await().atMost(WAIT).until(() -> !coordinator.finishes(refused).isEmpty());
        assertThat(coordinator.finishes(refused).get(0).exitCode()).isNotZero();
        assertThat(ran).doesNotExist();
    }
}
