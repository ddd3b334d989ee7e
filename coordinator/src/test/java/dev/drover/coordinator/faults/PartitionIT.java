package dev.drover.coordinator.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 30 s network partition between the render subnet and the head node (nftables drop rules in network
 * namespaces joined by veth) while built-in-queue jobs run on real agents: work finished during the cut is
 * not run again, the finish wins over an eviction notice seen after it, an agent killed during the cut with
 * its report unacknowledged delivers it after a restart, and every agent is back after the heal. The
 * coordinator runs with the shipped liveness defaults (heartbeat 5 s, Suspect after 3 missed, Lost after 60 s).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PartitionIT {
    static final Duration CUT = Duration.ofSeconds(Long.getLong("drover.faults.cutSeconds", 30));
    private static final int IMDS_PORT_IN_NS = 18080;

    @TempDir
    static Path dir;

    private static NetNs net;
    private static Farm farm;
    private static TaskMarks marks;
    private static int imdsPort;
    private static final List<String> TASKS = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

    @BeforeAll
    static void start() throws Exception {
        net = NetNs.create(dir);
        farm = new Farm(dir, net, """
                pools:
                  - {name: cut, vmSize: Standard_D2s_v5, priority: spot, slotsPerNode: 1, serviceKeys: [cut], minNodes: 0, maxNodes: 4, pricePerNodeHour: 0.1}
                  - {name: evict, vmSize: Standard_D2s_v5, priority: spot, slotsPerNode: 1, serviceKeys: [evict], minNodes: 0, maxNodes: 4, pricePerNodeHour: 0.1}
                  - {name: restart, vmSize: Standard_D2s_v5, priority: spot, slotsPerNode: 1, serviceKeys: [restart], minNodes: 0, maxNodes: 4, pricePerNodeHour: 0.1}
                """, "256m");
        marks = new TaskMarks(dir);
        farm.startCoordinator();
        farm.startAgent("cut-a", "cut", null);
        farm.startAgent("cut-b", "cut", null);
        farm.startFakeImds(IMDS_PORT_IN_NS, "faults_7", "ev-a");
        imdsPort = net.expose(net.render, IMDS_PORT_IN_NS, Farm.freePort());
        farm.startAgent("ev-a", "evict", "http://127.0.0.1:" + IMDS_PORT_IN_NS);
        farm.startAgent("ev-b", "evict", null);
        farm.startAgent("rs-a", "restart", null);
        for (String n : List.of("cut-a", "cut-b", "ev-a", "ev-b", "rs-a")) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> farm.api.state(n).equals("READY"));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (farm != null) {
                farm.close();
            }
            if (marks != null) {
                marks.killAll(TASKS);
            }
        } finally {
            if (net != null) {
                net.close();
            }
        }
    }

    private static List<String> submit(String key, int count, int seconds) throws Exception {
        List<JsonObject> tasks = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            String name = key + "-" + i;
            names.add(name);
            tasks.add(marks.task(name, seconds));
        }
        TASKS.addAll(names);
        farm.api.submit(TaskMarks.job(key, key, tasks));
        return names;
    }

    private static Optional<JsonObject> queueTask(String title) {
        try {
            return farm.api.queueTasks().stream().filter(t -> title.equals(t.getString("title"))).findFirst();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean allDone(List<String> names) throws Exception {
        for (String n : names) {
            if (!queueTask(n).map(t -> "DONE".equals(t.getString("state"))).orElse(false)) {
                return false;
            }
        }
        return true;
    }

    /** Seconds from {@code since} until the node's heartbeats are seen again (connected, beat after since). */
    private static double awaitBack(String node, Instant since) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            JsonObject n = farm.api.node(node).orElseThrow();
            String beat = n.getString("lastHeartbeat");
            return n.getBoolean("connected", false) && beat != null && Instant.parse(beat).isAfter(since);
        });
        return Duration.between(since, Instant.now()).toMillis() / 1000.0;
    }

    private static void awaitRunning(String name) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> marks.runs(name).stream().anyMatch(r -> r.lastMs() > r.startMs()));
    }

    @Test
    @Order(1)
    void tasksFinishedDuringThirtySecondCutAreNotRunAgainAndAgentsResume() throws Exception {
        List<String> names = submit("cut", 4, 12);
        awaitRunning("cut-1");
        awaitRunning("cut-2");

        Instant cutAt = Instant.now();
        net.cut();
        Thread.sleep(CUT.toMillis());
        net.heal();
        Instant healedAt = Instant.now();

        double backA = awaitBack("cut-a", healedAt);
        double backB = awaitBack("cut-b", healedAt);
        boolean done = waitQuietly(() -> allDone(names), Duration.ofSeconds(120));
        Thread.sleep(5000); // a re-run would start within this
        long finishedInCut = 0;
        long runs = 0;
        long completed = 0;
        for (String n : names) {
            runs += marks.runs(n).size();
            completed += marks.completedRuns(n);
            finishedInCut += marks.runs(n).stream().filter(r -> r.completed() && r.endMs() > cutAt.toEpochMilli()
                    && r.endMs() < healedAt.toEpochMilli()).count();
        }
        Figures f = new Figures("partition-30s").put("cutSeconds", CUT.toSeconds()).put("tasks", names.size())
                .put("executions", runs).put("completedExecutions", completed).put("finishedDuringCut", finishedInCut)
                .put("allDone", done).put("resumeAfterHealSeconds", Math.max(backA, backB))
                .put("reRuns", runs - names.size());
        f.write();

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(finishedInCut).as("the scenario needs tasks finishing during the cut").isPositive();
        soft.assertThat(done).as("every task DONE: " + farm.api.queueTasks()).isTrue();
        for (String n : names) {
            soft.assertThat(marks.runs(n)).as("executions of " + n).hasSize(1);
            soft.assertThat(queueTask(n).orElseThrow().getInteger("attempts")).as("attempts of " + n).isEqualTo(1);
        }
        for (String node : List.of("cut-a", "cut-b")) {
            soft.assertThat(farm.api.state(node)).as(node + " after the heal").isIn("READY", "BUSY");
        }
        soft.assertAll();
    }

    @Test
    @Order(2)
    void finishBeforeEvictionNoticeWinsWhenBothArriveAfterTheCut() throws Exception {
        List<String> names = submit("evict", 3, 10);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> names.stream()
                .anyMatch(n -> queueTask(n).map(t -> "ev-a".equals(t.getString("node"))).orElse(false)
                        && marks.runsUnchecked(n).stream().anyMatch(r -> r.lastMs() > r.startMs())));
        String onA = names.stream().filter(n -> queueTask(n).map(t -> "ev-a".equals(t.getString("node")))
                .orElse(false)).findFirst().orElseThrow();

        Instant cutAt = Instant.now();
        net.cut();
        // the task ends during the cut, and only then does Azure announce the eviction
        await().atMost(CUT).pollInterval(Duration.ofMillis(200)).until(() -> marks.completedRuns(onA) == 1);
        preempt("faults_7");
        long rest = CUT.toMillis() - Duration.between(cutAt, Instant.now()).toMillis();
        Thread.sleep(Math.max(rest, 5000));
        net.heal();
        Instant healedAt = Instant.now();
        double back = awaitBack("ev-a", healedAt);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> farm.api.state("ev-a").equals("EVICTING"));
        boolean done = waitQuietly(() -> allDone(names), Duration.ofSeconds(120));
        Thread.sleep(5000);
        JsonObject task = queueTask(onA).orElseThrow();
        long evictions = farm.api.timeline().stream().filter(e -> "ev-a".equals(e.getString("node"))
                && e.getString("kind", "").contains("evict")).count();
        new Figures("partition-finish-then-eviction").put("task", onA).put("executions", marks.runs(onA).size())
                .put("state", task.getString("state")).put("attempts", task.getInteger("attempts"))
                .put("requeues", task.getInteger("requeues")).put("evictionEventsInTimeline", evictions)
                .put("resumeAfterHealSeconds", back).put("allDone", done).write();

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(task.getString("state")).as(onA + " finished before the eviction: DONE, not requeued")
                .isEqualTo("DONE");
        soft.assertThat(task.getInteger("requeues")).as("requeues of " + onA).isZero();
        soft.assertThat(marks.runs(onA)).as("executions of " + onA).hasSize(1);
        soft.assertThat(evictions).as("eviction applied once (timeline)").isEqualTo(1);
        soft.assertThat(done).as("every task DONE: " + farm.api.queueTasks()).isTrue();
        for (String n : names) {
            soft.assertThat(marks.completedRuns(n)).as("completed executions of " + n).isEqualTo(1);
        }
        soft.assertAll();
    }

    @Test
    @Order(3)
    void agentKilledDuringCutWithUnacknowledgedFinishDeliversItAfterRestart() throws Exception {
        List<String> names = submit("restart", 1, 6);
        String name = names.get(0);
        awaitRunning(name);
        FaultProcess agent = farm.agentProcess("rs-a");

        net.cut();
        await().atMost(CUT).pollInterval(Duration.ofMillis(200)).until(() -> marks.completedRuns(name) == 1);
        Thread.sleep(2000); // the agent has written TaskFinished to its outbox; nobody can acknowledge it
        agent.kill9();
        Thread.sleep(Math.max(0, CUT.toMillis() - 15_000));
        net.heal();
        Instant restartedAt = Instant.now();
        farm.startAgent("rs-a", "restart", null);
        double back = awaitBack("rs-a", restartedAt);
        boolean done = waitQuietly(() -> allDone(names), Duration.ofSeconds(90));
        Thread.sleep(8000); // a requeued copy would be dispatched to rs-a again within this
        JsonObject task = queueTask(name).orElseThrow();
        new Figures("agent-kill9-during-cut-then-restart").put("executions", marks.runs(name).size())
                .put("state", task.getString("state")).put("attempts", task.getInteger("attempts"))
                .put("requeues", task.getInteger("requeues")).put("reconnectAfterRestartSeconds", back)
                .put("finishDelivered", done).write();

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(done).as("the unacknowledged TaskFinished survives the agent restart: " + task).isTrue();
        soft.assertThat(task.getInteger("attempts")).as("attempts").isEqualTo(1);
        soft.assertThat(marks.runs(name)).as("executions of " + name).hasSize(1);
        soft.assertAll();
    }

    private void preempt(String vmName) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + imdsPort
                + "/fake/events")).POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("type", "Preempt")
                        .put("resources", List.of(vmName)).put("notBeforeSeconds", 30)
                        .put("description", "Spot eviction during a partition").encode())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    static boolean waitQuietly(java.util.concurrent.Callable<Boolean> condition, Duration max) {
        try {
            await().atMost(max).pollInterval(Duration.ofMillis(500)).until(condition);
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        }
    }
}
