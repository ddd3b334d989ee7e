package dev.drover.coordinator;

import dev.drover.testsupport.HostPackages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command, end to end (issue 6's "done when"): the demo scales a local pool out, nodes render
 * frames through drover-run with rising progress, an injected eviction requeues a task that finishes on
 * another node, the pool drains and scales in, and the summary is printed — with every agent process gone.
 */
class DemoIT {
    @TempDir
    Path dir;

    @Test
    void demoRendersTheJobThroughEvictionAndScalesIn() throws Exception {
        int httpPort = JarProcess.freePort();
        try (JarProcess demo = JarProcess.start(JarProcess.COORDINATOR_JAR, "demo", List.of("demo", "--frames", "12",
                "--max-nodes", "3", "--http-port", String.valueOf(httpPort), "--work-dir", dir.toString(),
                "--agent-jar", JarProcess.AGENT_JAR.toString(), "--chaos-interval-seconds", "8", "--chaos-max", "1",
                "--eviction-notice-seconds", "10", "--idle-seconds", "4", "--exit-when-done"), Map.of())) {
            String viewer = await().atMost(Duration.ofSeconds(120)).until(() -> token(demo.output(), "viewer"),
                    t -> t != null);
            CoordinatorApi api = new CoordinatorApi(httpPort, viewer);

            // several nodes Busy, and a running task's progress seen rising
            Map<String, Double> firstSeen = new HashMap<>();
            // a poll that times out while 3 agent JVMs start (and do their first TLS handshake) on a loaded 2-core
            // machine is retried, not a failure; the 2-minute bound stays
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300))
                    .ignoreException(java.net.http.HttpTimeoutException.class).until(() -> {
                JsonArray nodes = api.json("/api/nodes").getJsonArray("nodes");
                long busy = nodes.stream().map(n -> (JsonObject) n).filter(n -> "BUSY".equals(n.getString("state")))
                        .count();
                boolean rose = false;
                for (Object o : nodes) {
                    for (Object t : ((JsonObject) o).getJsonArray("currentTasks")) {
                        JsonObject task = (JsonObject) t;
                        String key = task.getLong("jid") + "/" + task.getInteger("tid");
                        double pct = task.getDouble("percent");
                        Double before = firstSeen.putIfAbsent(key, pct);
                        rose |= before != null && pct > before && task.getString("title", "").startsWith("frame ");
                    }
                }
                return busy >= 2 && rose;
            });

            assertThat(demo.waitFor(Duration.ofMinutes(4))).as("demo exits after the job and the scale-in").isZero();
            String out = demo.output();
            assertThat(out).contains("Drover demo summary").contains("frames rendered:   12 (12 PNG files), failed: 0")
                    .contains("evictions:         1").containsPattern("tasks requeued:    [1-9]");
            assertThat(out).containsPattern("eviction +eviction of demo-\\d+")
                    .containsPattern("requeue +task 1/\\d+/\\d+ \\(frame \\d+\\) requeued")
                    .containsPattern("delete +instance \\d+ \\(demo-\\d+\\) deleted: drained");
            try (Stream<Path> pngs = Files.list(dir.resolve("images"))) {
                assertThat(pngs.filter(p -> p.toString().endsWith(".png"))).hasSize(12);
            }
            // every local "VM" is gone: no agent, drover-run or renderer process left behind
            assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("")
                    .contains(dir.toString()))).isEmpty();
        }
    }

    @Test
    void requeuedTaskFinishesOnAnotherNode() throws Exception {
        int httpPort = JarProcess.freePort();
        try (JarProcess demo = JarProcess.start(JarProcess.COORDINATOR_JAR, "demo-requeue", List.of("demo", "--frames",
                "6", "--max-nodes", "2", "--http-port", String.valueOf(httpPort), "--work-dir", dir.toString(),
                "--agent-jar", JarProcess.AGENT_JAR.toString(), "--chaos-interval-seconds", "5", "--chaos-max", "1",
                "--eviction-notice-seconds", "5", "--idle-seconds", "60"), Map.of())) {
            String viewer = await().atMost(Duration.ofSeconds(120)).until(() -> token(demo.output(), "viewer"),
                    t -> t != null);
            CoordinatorApi api = new CoordinatorApi(httpPort, viewer);
            JsonObject requeued = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .ignoreException(java.net.http.HttpTimeoutException.class).until(
                    () -> api.json("/api/jobs").getJsonArray("tasks").stream().map(t -> (JsonObject) t)
                            .filter(t -> t.getInteger("requeues") > 0 && "DONE".equals(t.getString("state")))
                            .findFirst().orElse(null), t -> t != null);
            JsonArray tried = requeued.getJsonArray("nodesTried");
            JsonArray events = api.json("/api/timeline").getJsonArray("events");
            if (tried.size() == 1) {
                // on a loaded machine the evicted node may finish the frame before the requeue's Cancel reaches
                // it: its result is kept and the frame is not run again, which the timeline must say
                String ref = "task " + requeued.getLong("jid") + "/" + requeued.getInteger("tid") + "/"
                        + requeued.getInteger("cid") + " ";
                assertThat(events.stream().map(e -> ((JsonObject) e).getString("message")))
                        .anyMatch(m -> m.contains(ref) && m.contains("had finished on " + tried.getString(0)
                                + " before it was requeued"));
                assertThat(requeued.getString("node")).isEqualTo(tried.getString(0));
            } else {
                assertThat(tried.getString(tried.size() - 1)).isNotEqualTo(tried.getString(0));
                assertThat(requeued.getString("node")).isEqualTo(tried.getString(tried.size() - 1));
            }
            assertThat(events.stream().map(e -> ((JsonObject) e).getString("kind"))).contains("eviction", "requeue",
                    "scale");
            assertThat(demo.terminate()).isIn(0, 130, 143);
            await().atMost(Duration.ofSeconds(90)).until(() -> ProcessHandle.allProcesses()
                    .noneMatch(p -> p.info().commandLine().orElse("").contains(dir.toString())));
        }
    }

    @Test
    void blenderRendersTheFramesWhenChosen() throws Exception {
        HostPackages.require("blender", "blender");
        try (JarProcess demo = JarProcess.start(JarProcess.COORDINATOR_JAR, "demo-blender", List.of("demo",
                "--renderer", "blender", "--frames", "2", "--max-nodes", "1", "--no-chaos", "--idle-seconds", "2",
                "--http-port", "0", "--work-dir", dir.toString(), "--agent-jar", JarProcess.AGENT_JAR.toString(),
                "--exit-when-done"), Map.of())) {
            assertThat(demo.waitFor(Duration.ofMinutes(3))).as("demo exits after the job").isZero();
            assertThat(demo.output()).contains("frames rendered:   2 (2 PNG files), failed: 0");
            assertThat(dir.resolve("images/frame_0001.png")).isNotEmptyFile();
        }
    }

    static String token(String output, String which) {
        Matcher m = Pattern.compile(which + " token: +(\\S+)").matcher(output);
        return m.find() ? m.group(1) : null;
    }
}
