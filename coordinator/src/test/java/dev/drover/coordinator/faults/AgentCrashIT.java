package dev.drover.coordinator.faults;

import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent killed ({@code kill -9}) or stopped ({@code SIGTERM}) while it runs a built-in-queue task, with
 * a real coordinator and a second agent that can take the task over: the task never runs twice at once, it
 * completes exactly once, and it is requeued at most once. Liveness: heartbeat 1 s, Lost after 30 s.
 */
class AgentCrashIT {
    @TempDir
    Path dir;

    private Farm farm;
    private TaskMarks marks;
    private static final String TASK = "victim";

    @BeforeEach
    void start() throws Exception {
        farm = new Farm(dir, null, """
                liveness: {heartbeatIntervalMillis: 1000, jitterPercent: 20, suspectAfterMissed: 3, lostAfterMillis: 30000}
                pools:
                  - {name: work, vmSize: Standard_D2s_v5, priority: spot, slotsPerNode: 1, serviceKeys: [faults], minNodes: 0, maxNodes: 4, pricePerNodeHour: 0.1}
                """, "256m");
        marks = new TaskMarks(dir);
        farm.startCoordinator();
        farm.startAgent("agent-a", "work", null);
        await().atMost(Duration.ofSeconds(60)).until(() -> farm.api.state("agent-a").equals("READY"));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            farm.close();
        } finally {
            marks.killAll(List.of(TASK));
        }
    }

    /** Submits one task that runs {@code seconds}, waits until it runs on agent-a, then starts agent-b. */
    private void taskRunningOnA(int seconds) throws Exception {
        farm.api.submit(TaskMarks.job("victim", "faults", List.of(marks.task(TASK, seconds))));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> marks.runsUnchecked(TASK).stream().anyMatch(r -> r.lastMs() > r.startMs()));
        farm.startAgent("agent-b", "work", null);
        await().atMost(Duration.ofSeconds(60)).until(() -> farm.api.state("agent-b").equals("READY"));
    }

    private JsonObject queueTask() throws Exception {
        return farm.api.queueTasks().stream().filter(t -> TASK.equals(t.getString("title"))).findFirst().orElseThrow();
    }

    private long requeuesInTimeline() throws Exception {
        return farm.api.timeline().stream().filter(e -> e.getString("kind", "").contains("requeue")).count();
    }

    @Test
    void killNineMidTaskNeverRunsTheTaskTwiceAtOnce() throws Exception {
        taskRunningOnA(45);
        Instant killedAt = Instant.now();
        farm.agentProcess("agent-a").kill9();

        boolean done = PartitionIT.waitQuietly(() -> "DONE".equals(queueTask().getString("state")),
                Duration.ofSeconds(150));
        Instant doneAt = Instant.now();
        JsonObject task = queueTask();
        List<TaskMarks.Run> runs = marks.runs(TASK);
        new Figures("agent-kill9-mid-task").put("executions", runs.size())
                .put("completedExecutions", marks.completedRuns(TASK)).put("ranTwiceAtOnce", marks.ranTwiceAtOnce(TASK))
                .put("requeues", task.getInteger("requeues")).put("attempts", task.getInteger("attempts")).put("requeueEventsInTimeline", requeuesInTimeline())
                .put("doneAfterKillSeconds", done ? Duration.between(killedAt, doneAt).toSeconds() : -1)
                .put("state", task.getString("state")).write();

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(marks.ranTwiceAtOnce(TASK)).as("two executions alive at once: " + runs).isFalse();
        soft.assertThat(done).as("task DONE after its agent was killed: " + task).isTrue();
        soft.assertThat(marks.completedRuns(TASK)).as("completed executions: " + runs).isEqualTo(1);
        soft.assertThat(task.getInteger("requeues")).as("requeues").isLessThanOrEqualTo(1);
        soft.assertThat(requeuesInTimeline()).as("requeue events in the timeline").isLessThanOrEqualTo(1);
        soft.assertAll();
    }

    @Test
    void killNineThenRestartLikeSystemdReportsTheTaskExactlyOnce() throws Exception {
        taskRunningOnA(25);
        farm.agentProcess("agent-a").kill9();
        Thread.sleep(3000); // the shipped unit restarts the agent (Restart=, RestartSec=)
        Instant restartedAt = Instant.now();
        farm.startAgent("agent-a", "work", null);

        boolean done = PartitionIT.waitQuietly(() -> "DONE".equals(queueTask().getString("state")),
                Duration.ofSeconds(150));
        Instant doneAt = Instant.now();
        Thread.sleep(5000);
        JsonObject task = queueTask();
        List<TaskMarks.Run> runs = marks.runs(TASK);
        new Figures("agent-kill9-mid-task-then-restart").put("executions", runs.size())
                .put("completedExecutions", marks.completedRuns(TASK)).put("ranTwiceAtOnce", marks.ranTwiceAtOnce(TASK))
                .put("requeues", task.getInteger("requeues")).put("attempts", task.getInteger("attempts")).put("requeueEventsInTimeline", requeuesInTimeline())
                .put("doneAfterRestartSeconds", done ? Duration.between(restartedAt, doneAt).toSeconds() : -1)
                .put("state", task.getString("state")).write();

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(marks.ranTwiceAtOnce(TASK)).as("two executions alive at once: " + runs).isFalse();
        soft.assertThat(done).as("task DONE: " + task).isTrue();
        soft.assertThat(marks.completedRuns(TASK)).as("completed executions: " + runs).isEqualTo(1);
        soft.assertThat(task.getInteger("requeues")).as("requeues").isLessThanOrEqualTo(1);
        soft.assertAll();
    }

    @Test
    void sigtermMidTaskStopsTheTaskAndRequeuesItOnceAtOnce() throws Exception {
        taskRunningOnA(40);
        Instant termAt = Instant.now();
        int exit = farm.agentProcess("agent-a").sigterm(30);

        // the agent said why it stopped: the task is requeued well before the node could be Lost (30 s)
        boolean requeuedSoon = PartitionIT.waitQuietly(() -> queueTask().getInteger("requeues") >= 1
                || !"agent-a".equals(queueTask().getString("node")), Duration.ofSeconds(15));
        double requeueSeconds = Duration.between(termAt, Instant.now()).toMillis() / 1000.0;
        boolean done = PartitionIT.waitQuietly(() -> "DONE".equals(queueTask().getString("state")),
                Duration.ofSeconds(120));
        JsonObject task = queueTask();
        List<TaskMarks.Run> runs = marks.runs(TASK);
        TaskMarks.Run first = runs.isEmpty() ? null : runs.get(0);
        new Figures("agent-sigterm-mid-task").put("agentExit", exit).put("executions", runs.size())
                .put("completedExecutions", marks.completedRuns(TASK)).put("ranTwiceAtOnce", marks.ranTwiceAtOnce(TASK))
                .put("requeues", task.getInteger("requeues")).put("attempts", task.getInteger("attempts")).put("requeueEventsInTimeline", requeuesInTimeline())
                .put("requeuedWithin15s", requeuedSoon).put("requeueAfterTermSeconds", requeuedSoon ? requeueSeconds : -1)
                .put("state", task.getString("state")).write();

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(exit).as("agent exit code after SIGTERM").isNotEqualTo(-1);
        soft.assertThat(first != null && !first.completed() && first.lastMs() < termAt.toEpochMilli() + 10_000)
                .as("the task stopped with its agent: " + runs).isTrue();
        soft.assertThat(requeuedSoon).as("requeued within 15 s of SIGTERM (TaskFinished sent): " + task).isTrue();
        soft.assertThat(marks.ranTwiceAtOnce(TASK)).as("two executions alive at once: " + runs).isFalse();
        soft.assertThat(done).as("task DONE on the other agent: " + task).isTrue();
        soft.assertThat(requeuesInTimeline()).as("requeue events in the timeline (one stop, one requeue): "
                + farm.api.timeline()).isEqualTo(1);
        soft.assertThat(marks.completedRuns(TASK)).as("completed executions").isEqualTo(1);
        soft.assertAll();
    }
}
