package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real coordinator jar with its built-in queue and real agents, killed with SIGKILL in the middle of a job
 * and started again on the same store: every task runs exactly once (counted by the lines each task appends to
 * its own file), job ids go on, a node evicted before the crash is still Evicting and gets no work, a drain in
 * progress completes, and pool limits and the pause set through the API are still in force.
 */
class CoordinatorRestartIT {
    private static final String TOKEN = "restart-it-token-0123456789";
    private static final int TASKS = 6;

    @TempDir
    Path dir;

    private final List<JarProcess> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private Path config;
    private CoordinatorApi api;
    private int gatewayPort;

    @AfterEach
    void stopAll() throws Exception {
        for (JarProcess p : processes) {
            p.close();
        }
    }

    private JarProcess startCoordinator(String name) throws Exception {
        JarProcess c = JarProcess.start(JarProcess.COORDINATOR_JAR, name, List.of("--config", config.toString()),
                Map.of());
        processes.add(c);
        await().atMost(Duration.ofSeconds(90)).until(api::healthy);
        return c;
    }

    private void startAgent(String name, List<String> identity) throws Exception {
        List<String> args = new ArrayList<>(List.of("--coordinator", "127.0.0.1:" + gatewayPort, "--pool", "it",
                "--local-socket", dir.resolve(name + ".sock").toString()));
        args.addAll(TestTls.agentArgs(dir)); // the coordinator's CA, made on its first start, kept across the restart
        args.addAll(identity);
        processes.add(JarProcess.start(JarProcess.AGENT_JAR, "restart-" + name, args,
                Map.of("DROVER_ENROLMENT_TOKEN", TOKEN)));
    }

    private List<JsonObject> tasks() throws Exception {
        return api.json("/api/jobs").getJsonArray("tasks").stream().map(t -> (JsonObject) t).toList();
    }

    private long count(String state) throws Exception {
        return tasks().stream().filter(t -> state.equals(t.getString("state"))).count();
    }

    private JsonObject pool() throws Exception {
        return api.json("/api/pools").getJsonArray("pools").stream().map(p -> (JsonObject) p)
                .filter(p -> "it".equals(p.getString("name"))).findFirst().orElseThrow();
    }

    private static String job(String title, String runs, int tasks) {
        JsonArray list = new JsonArray();
        for (int i = 1; i <= tasks; i++) {
            // each run appends one line to its task's own file, then takes a while, so the crash finds work running
            list.add(new JsonObject().put("title", "frame " + i).put("argv", new JsonArray().add("sh").add("-c")
                    .add("echo ran >> " + runs + "-$TR_ENV_TID.txt; sleep 4")));
        }
        return new JsonObject().put("title", title).put("serviceKey", "sample").put("tasks", list).encode();
    }

    @Test
    void killedMidJobAndRestartedOnTheSameStoreNothingIsLostOrDoneTwice() throws Exception {
        gatewayPort = JarProcess.freePort();
        int httpPort = JarProcess.freePort();
        int imdsPort = JarProcess.freePort();
        api = new CoordinatorApi(httpPort);
        config = dir.resolve("coordinator.yaml");
        Files.writeString(config, """
                gateway: {host: 127.0.0.1, port: %d%s}
                http: {host: 127.0.0.1, port: %d}
                enrolment: {tokens: [%s]}
                liveness: {heartbeatIntervalMillis: 500, suspectAfterMissed: 6, lostAfterMillis: 45000}
                store: {path: %s}
                pools:
                  - {name: it, serviceKeys: [sample], minNodes: 0, maxNodes: 5}
                """.formatted(gatewayPort, TestTls.gatewayYaml(dir), httpPort, TOKEN,
                dir.resolve("state/coordinator.db")));
        JarProcess first = startCoordinator("restart-coordinator-1");

        // given two agents, and a third whose VM has a Spot eviction scheduled in ten minutes
        processes.add(JarProcess.start(JarProcess.AGENT_JAR, "restart-imds", List.of("fake-imds", "--port",
                String.valueOf(imdsPort), "--vm-name", "render_7", "--computer-name", "render000007", "--scale-set",
                "render"), Map.of()));
        startAgent("a", List.of("--node-id", "node-a", "--no-imds"));
        startAgent("b", List.of("--node-id", "node-b", "--no-imds"));
        startAgent("c", List.of("--imds-url", "http://127.0.0.1:" + imdsPort));
        for (String n : List.of("node-a", "node-b", "render000007")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> api.state(n).equals("READY"));
        }
        HttpResponse<String> preempt = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + imdsPort
                + "/fake/events")).POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("type", "Preempt")
                .put("resources", List.of("render_7")).put("notBeforeSeconds", 600).put("description", "Spot eviction")
                .encode())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(preempt.statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> api.state("render000007").equals("EVICTING"));

        // and an operator's limits and pause
        assertThat(api.post("/api/pools/it/limits", "{\"minNodes\": 1, \"maxNodes\": 7}").statusCode()).isEqualTo(200);
        assertThat(api.post("/api/pools/it/pause", "{}").statusCode()).isEqualTo(200);

        // when a job runs on a and b, b is drained while it works, and the coordinator is killed mid-job
        String runs = dir.resolve("job1").toString();
        HttpResponse<String> submitted = api.post("/api/jobs", job("shot", runs, TASKS));
        assertThat(submitted.statusCode()).isEqualTo(201);
        assertThat(new JsonObject(submitted.body()).getLong("jid")).isEqualTo(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> api.state("node-b").equals("BUSY")
                || count("ACTIVE") == 2);
        assertThat(api.post("/api/nodes/node-b/drain", "{}").statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(60)).until(() -> count("DONE") >= 1 && count("ACTIVE") >= 1);
        first.kill();
        Thread.sleep(3000); // tasks go on finishing while nobody listens

        JarProcess second = startCoordinator("restart-coordinator-2");

        // then what was said before the crash still holds
        assertThat(api.state("render000007")).isEqualTo("EVICTING");
        // /api/pools lists a pool from the scaler's first round after start (about a second)
        JsonObject pool = await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(this::pool, p -> true);
        assertThat(pool.getInteger("minNodes")).isEqualTo(1);
        assertThat(pool.getInteger("maxNodes")).isEqualTo(7);
        assertThat(pool.getBoolean("paused")).isTrue();
        assertThat(pool.getJsonArray("decisions")).as("decisions from before the restart").isNotEmpty();
        HttpResponse<String> next = api.post("/api/jobs", job("next", dir.resolve("job2").toString(), 1));
        assertThat(new JsonObject(next.body()).getLong("jid")).as("job ids continue").isEqualTo(2);

        // and the job completes, each task exactly once, none on the evicting node; the drain completes
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .until(() -> count("DONE") == TASKS + 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> api.state("node-b").equals("DRAINED"));
        List<String> sinceDrain = new ArrayList<>();
        for (Object h : api.node("node-b").orElseThrow().getJsonArray("history")) {
            String to = ((JsonObject) h).getString("to");
            if (to.equals("DRAINING") || !sinceDrain.isEmpty()) {
                sinceDrain.add(to);
            }
        }
        assertThat(sinceDrain).as("once draining, never back to work").startsWith("DRAINING").endsWith("DRAINED")
                .doesNotContain("READY", "BUSY");
        for (int tid = 1; tid <= TASKS; tid++) {
            assertThat(Files.readAllLines(Path.of(runs + "-" + tid + ".txt"))).as("runs of task " + tid)
                    .containsExactly("ran");
        }
        assertThat(Files.readAllLines(dir.resolve("job2-1.txt"))).containsExactly("ran");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith("job1-"))).hasSize(TASKS);
        }
        for (JsonObject t : tasks()) {
            assertThat(t.getJsonArray("nodesTried").getList()).as("task " + t.getInteger("tid"))
                    .doesNotContain("render000007").hasSize(1);
            assertThat(t.getInteger("requeues")).as("nothing requeued by the restart").isZero();
        }
        assertThat(api.state("render000007")).isEqualTo("EVICTING");
        assertThat(second.isAlive()).isTrue();
        assertThat(second.output()).contains("state restored");
    }
}
