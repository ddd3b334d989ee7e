package dev.drover.agent.runtask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.protocol.Bye;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent process killed or stopped while it runs a built-in queue task, and restarted with events the
 * coordinator never acknowledged: the real agent jar, real drover-run, real shell tasks, a strict coordinator.
 */
class AgentRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private ScriptedCoordinator coordinator;
    private final List<AgentProcess> agents = new ArrayList<>();
    private final List<Long> taskGroups = new ArrayList<>();

    @BeforeEach
    void startCoordinator() throws Exception {
        coordinator = new ScriptedCoordinator();
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (AgentProcess a : agents) {
            a.close();
        }
        for (long group : taskGroups) {
            groupMembers(group).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        }
        coordinator.close();
        assertThat(coordinator.violations).isEmpty();
    }

    private AgentProcess startAgent(String name) throws IOException {
        AgentProcess a = AgentProcess.start(dir, coordinator.port(), name);
        agents.add(a);
        return a;
    }

    private void awaitHellos(int count) {
        await().atMost(WAIT).until(() -> coordinator.received.stream().filter(r -> r.message() instanceof Hello)
                .count() >= count);
    }

    private void runTask(TaskRef task, String script) throws InterruptedException {
        coordinator.send(seq -> new RunTask(seq, task, "test", List.of("sh", "-c", script), List.of("FROM_JOB=1"),
                ""));
    }

    private long awaitStartedAndPid(TaskRef task, Path pidFile) throws IOException {
        await().atMost(WAIT).until(() -> coordinator.reliable().stream()
                .anyMatch(r -> r instanceof TaskStarted s && s.task().equals(task)));
        await().atMost(WAIT).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        taskGroups.add(pid);
        return pid;
    }

    /** Live processes of a process group (the task's shell leads its own group, made by drover-run's setsid). */
    private static List<Long> groupMembers(long group) {
        return ProcStat.all().stream().filter(p -> p.pgrp() == group && p.alive()).map(ProcStat::pid).toList();
    }

    @Test
    void taskOfAKilledAgentIsStoppedAndReportedExactlyOnceByTheNextAgentProcess() throws Exception {
        TaskRef task = new TaskRef(11, 1, 0);
        Path pidFile = dir.resolve("task.pid");
        // Ignores TERM, as a render stuck in I/O might: only the KILL after the grace period stops it.
        String script = "trap '' TERM; echo $$ > " + pidFile + "; sleep 600";
        AgentProcess first = startAgent("first");
        awaitHellos(1);
        runTask(task, script);
        long group = awaitStartedAndPid(task, pidFile);

        first.killHard();
        Thread.sleep(1000);
        assertThat(groupMembers(group)).as("the orphaned task outlives its agent").isNotEmpty();

        startAgent("second");
        await().atMost(WAIT).until(() -> !coordinator.finishes(task).isEmpty());
        TaskFinished finished = coordinator.finishes(task).get(0);
        assertThat(finished.exitCode()).isEqualTo(TaskLauncher.AGENT_RESTARTED);
        // KILL from the new agent after its grace; TERM only if the new agent came up so late that drover-run's
        // own 30 s KILL had already ended the group, leaving the new agent just drover-run to stop.
        assertThat(finished.signal()).isIn(OrphanReaper.SIGKILL, OrphanReaper.SIGTERM);
        assertThat(groupMembers(group)).as("the orphan's whole process group is gone").isEmpty();

        // Stopping and starting once more must not report it again.
        int connections = coordinator.connections();
        assertThat(agents.get(1).terminate(60)).isZero();
        startAgent("third");
        awaitHellos(3);
        await().atMost(WAIT).until(() -> coordinator.connections() > connections);
        Thread.sleep(3000);
        assertThat(coordinator.finishes(task)).hasSize(1);
    }

    @Test
    void taskDiesWithAKilledAgentAndIsReportedWhenTheAgentComesBack() throws Exception {
        TaskRef task = new TaskRef(15, 1, 0);
        Path pidFile = dir.resolve("task.pid");
        AgentProcess first = startAgent("first");
        awaitHellos(1);
        runTask(task, "echo $$ > " + pidFile + "; exec sleep 600");
        long group = awaitStartedAndPid(task, pidFile);

        first.killHard();
        // No agent runs now: drover-run's parent-death signal alone stops the task.
        await().atMost(WAIT).until(() -> groupMembers(group).isEmpty());

        startAgent("second");
        await().atMost(WAIT).until(() -> !coordinator.finishes(task).isEmpty());
        Thread.sleep(3000);
        assertThat(coordinator.finishes(task)).singleElement().satisfies(f -> {
            assertThat(f.exitCode()).isEqualTo(TaskLauncher.AGENT_RESTARTED);
            assertThat(f.signal()).isZero(); // nothing was left to stop
        });
    }

    @Test
    void sigtermStopsTheTaskAndReportsItBeforeTheAgentSaysGoodbye() throws Exception {
        TaskRef task = new TaskRef(12, 1, 0);
        Path pidFile = dir.resolve("task.pid");
        Path envFile = dir.resolve("task.env");
        AgentProcess agent = startAgent("agent");
        awaitHellos(1);
        runTask(task, "echo $$ > " + pidFile + "; env > " + envFile + "; exec sleep 600");
        long group = awaitStartedAndPid(task, pidFile);

        assertThat(agent.terminate(60)).isZero();

        List<TaskFinished> finishes = coordinator.finishes(task);
        assertThat(finishes).hasSize(1);
        assertThat(finishes.get(0).exitCode()).isEqualTo(128 + OrphanReaper.SIGTERM);
        assertThat(finishes.get(0).signal()).isEqualTo(OrphanReaper.SIGTERM);
        List<Object> order = coordinator.received.stream().filter(r -> r.connection() == 1)
                .map(ScriptedCoordinator.Received::message)
                .filter(m -> m instanceof Bye || (m instanceof TaskFinished f && f.task().equals(task)))
                .map(m -> (Object) m.getClass().getSimpleName()).toList();
        assertThat(order).containsExactly("TaskFinished", "Bye");
        assertThat(groupMembers(group)).isEmpty();

        String env = Files.readString(envFile);
        assertThat(env).contains("TR_ENV_JID=12", "FROM_JOB=1").doesNotContain(AgentProcess.TOKEN)
                .doesNotContain("DROVER_ENROLMENT_TOKEN").doesNotContain("SOME_TOOL_SETTING");
    }

    @Test
    void unacknowledgedEventsArriveOnceInOrderUnderTheSameStreamAfterAKillAndATornWrite() throws Exception {
        coordinator.acking(false);
        AgentProcess first = startAgent("first");
        awaitHellos(1);
        for (int i = 1; i <= 3; i++) {
            runTask(new TaskRef(13, i, 0), "exit 0");
        }
        await().atMost(WAIT).until(() -> coordinator.reliableOn(1).size() >= 6); // 3 started, 3 finished
        Thread.sleep(1500); // drover-run's exits land too; nothing more may come
        List<Reliable> sentBefore = coordinator.reliableOn(1);
        assertThat(sentBefore).hasSize(6);
        first.killHard();
        String stream = streamId(first.output());

        // The crash also tore the write of one more record: half a frame at the end of the journal.
        Path journal = dir.resolve("state/outbox.journal");
        try (var ch = java.nio.channels.FileChannel.open(journal, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(11).putInt(40).put((byte) 0x08).put(new byte[6]).flip());
        }

        coordinator.acking(true);
        AgentProcess second = startAgent("second");
        await().atMost(WAIT).until(() -> coordinator.reliableOn(2).size() >= 6);
        Thread.sleep(3000); // a duplicate would arrive here
        assertThat(coordinator.reliableOn(2)).isEqualTo(sentBefore);
        assertThat(streamId(second.output())).isEqualTo(stream);
        assertThat(second.output()).contains("dropped a damaged tail");
    }

    @Test
    void duplicateRunTaskNeverRunsTwiceButAFailedTaskMayBeRetried() throws Exception {
        TaskRef once = new TaskRef(14, 1, 0);
        TaskRef failing = new TaskRef(14, 2, 0);
        Path runs = dir.resolve("runs-once");
        Path failedRuns = dir.resolve("runs-failing");
        startAgent("agent");
        awaitHellos(1);

        runTask(once, "echo run >> " + runs + "; sleep 3");
        runTask(once, "echo run >> " + runs + "; sleep 3"); // the same task again while it runs
        await().atMost(WAIT).until(() -> coordinator.finishes(once).size() == 1);
        Thread.sleep(2000); // the Ack of that TaskFinished reaches the agent
        runTask(once, "echo run >> " + runs + "; sleep 3"); // and again after it succeeded
        await().atMost(WAIT).until(() -> coordinator.finishes(once).size() == 2);
        assertThat(coordinator.finishes(once)).extracting(TaskFinished::exitCode).containsExactly(0, 0);
        assertThat(Files.readAllLines(runs)).hasSize(1);

        runTask(failing, "echo run >> " + failedRuns + "; exit 3");
        await().atMost(WAIT).until(() -> coordinator.finishes(failing).size() == 1);
        Thread.sleep(2000);
        runTask(failing, "echo run >> " + failedRuns + "; exit 3"); // the coordinator's retry
        await().atMost(WAIT).until(() -> coordinator.finishes(failing).size() == 2);
        assertThat(Files.readAllLines(failedRuns)).hasSize(2);
        assertThat(coordinator.finishes(failing)).extracting(TaskFinished::exitCode).containsExactly(3, 3);
    }

    private static String streamId(String agentOutput) {
        Matcher m = Pattern.compile("outbox journal opened.*streamId=\"([0-9a-f-]+)\"").matcher(agentOutput);
        if (!m.find()) {
            throw new AssertionError("no stream id in the agent's output:\n" + agentOutput);
        }
        return m.group(1);
    }
}
