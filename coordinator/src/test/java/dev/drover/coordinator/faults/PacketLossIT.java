package dev.drover.coordinator.faults;

import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 5 % random packet loss in both directions between three real agents and the coordinator (nftables
 * {@code numgen random} drop rules in network namespaces) for a minute while a built-in job runs: every task
 * runs exactly once, every TaskStarted/TaskFinished is applied once (attempts 1, DONE), and every node ends
 * Ready or Busy. Heartbeats every second (not the shipped 5 s) to put more packets at risk.
 */
class PacketLossIT {
    static final Duration LOSS = Duration.ofSeconds(Long.getLong("drover.faults.lossSeconds", 60));
    static final int PERCENT = Integer.getInteger("drover.faults.lossPercent", 5);
    private static final List<String> NODES = List.of("loss-a", "loss-b", "loss-c");

    @TempDir
    static Path dir;

    private static NetNs net;
    private static Farm farm;
    private static TaskMarks marks;
    private static final List<String> TASKS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        net = NetNs.create(dir);
        farm = new Farm(dir, net, """
                liveness: {heartbeatIntervalMillis: 1000, jitterPercent: 20, suspectAfterMissed: 3, lostAfterMillis: 60000}
                pools:
                  - {name: loss, vmSize: Standard_D2s_v5, priority: spot, slotsPerNode: 1, serviceKeys: [loss], minNodes: 0, maxNodes: 4, pricePerNodeHour: 0.1}
                """, "256m");
        marks = new TaskMarks(dir);
        farm.startCoordinator();
        for (String n : NODES) {
            farm.startAgent(n, "loss", null);
        }
        for (String n : NODES) {
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

    /** How often a node went Suspect (state history of each node). */
    private static long suspectTransitions() throws Exception {
        long n = 0;
        for (String node : NODES) {
            n += Api.objects(farm.api.node(node).orElseThrow().getJsonArray("history")).stream()
                    .filter(h -> "SUSPECT".equals(h.getString("to"))).count();
        }
        return n;
    }

    @Test
    void everyTaskRunsExactlyOnceThroughAMinuteOfLoss() throws Exception {
        List<JsonObject> tasks = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            TASKS.add("loss-" + i);
            tasks.add(marks.task("loss-" + i, 4));
        }
        farm.api.submit(TaskMarks.job("loss", "loss", tasks));
        Instant lossAt = Instant.now();
        net.loss(PERCENT);
        Thread.sleep(LOSS.toMillis());
        String counters = net.counters();
        net.heal();
        Instant healedAt = Instant.now();

        boolean done = PartitionIT.waitQuietly(() -> farm.api.queueTasks().stream()
                .allMatch(t -> "DONE".equals(t.getString("state"))), Duration.ofSeconds(180));
        double doneAfterHeal = Duration.between(healedAt, Instant.now()).toMillis() / 1000.0;
        Thread.sleep(5000);
        List<JsonObject> queue = farm.api.queueTasks();
        long executions = 0;
        long completedDuringLoss = 0;
        for (String t : TASKS) {
            executions += marks.runs(t).size();
            completedDuringLoss += marks.runs(t).stream().filter(r -> r.completed()
                    && r.endMs() < healedAt.toEpochMilli() && r.endMs() > lossAt.toEpochMilli()).count();
        }
        long notOnce = queue.stream().filter(t -> !"DONE".equals(t.getString("state")) || t.getInteger("attempts") != 1)
                .count();
        long dropped = java.util.regex.Pattern.compile("packets (\\d+)").matcher(counters).results()
                .mapToLong(m -> Long.parseLong(m.group(1))).sum();
        new Figures("loss-" + PERCENT + "pct-" + LOSS.toSeconds() + "s").put("tasks", TASKS.size())
                .put("executions", executions).put("completedDuringLoss", completedDuringLoss)
                .put("tasksNotDoneOnce", notOnce).put("packetsDropped", dropped)
                .put("suspectTransitions", suspectTransitions())
                .put("allDoneSecondsAfterHeal", done ? doneAfterHeal : -1).write();

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(dropped).as("the loss rules dropped packets: " + counters).isPositive();
        soft.assertThat(completedDuringLoss).as("work went on during the loss").isPositive();
        soft.assertThat(done).as("every task DONE: " + queue).isTrue();
        for (String t : TASKS) {
            soft.assertThat(marks.runs(t)).as("executions of " + t).hasSize(1);
        }
        soft.assertThat(notOnce).as("tasks not DONE with exactly one attempt: " + queue).isZero();
        for (String n : NODES) {
            soft.assertThat(farm.api.state(n)).as(n + " after the loss").isIn("READY", "BUSY");
            soft.assertThat(farm.api.node(n).orElseThrow().getBoolean("connected")).as(n + " connected").isTrue();
        }
        soft.assertAll();
    }
}
