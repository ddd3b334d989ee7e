package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** API roles (401 without a valid token, 403 for a viewer acting, 200 otherwise) and /metrics as Prometheus text. */
class ApiRolesIT {
    static final String ENROL = "enrolment-token-0123456789";
    static final String VIEWER = "viewer-token-0123456789abcdef";
    static final String OPERATOR = "operator-token-0123456789abcdef";
    private static final Pattern SAMPLE = Pattern.compile("^[a-zA-Z_:][a-zA-Z0-9_:]*"
            + "(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\",?)*\\})? "
            + "(?:-?[0-9.]+(?:[eE][+-]?[0-9]+)?|NaN|\\+Inf|-Inf)( -?[0-9]+)?$");
    private static final Pattern META = Pattern.compile("^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
            + "(counter|gauge|histogram|summary|untyped))$");

    @TempDir
    Path dir;
    JarProcess coordinator;
    JarProcess agent;
    int httpPort;

    @BeforeEach
    void start() throws Exception {
        int gatewayPort = JarProcess.freePort();
        httpPort = JarProcess.freePort();
        Path config = RunningCoordinator.writeRolesConfig(dir, gatewayPort, httpPort, VIEWER, OPERATOR, ENROL);
        coordinator = JarProcess.start(JarProcess.COORDINATOR_JAR, "roles-coordinator", List.of("--config",
                config.toString()), Map.of());
        await().atMost(Duration.ofSeconds(90)).until(new CoordinatorApi(httpPort)::healthy);
        agent = JarProcess.start(JarProcess.AGENT_JAR, "roles-agent", List.of("--coordinator", "127.0.0.1:" + gatewayPort, "--coordinator-ca-file", TestTls.caFile(dir).toString(), 
                "--node-id", "n1", "--pool", "render", "--no-imds", "--heartbeat-millis", "500"),
                Map.of("DROVER_ENROLMENT_TOKEN", ENROL));
        CoordinatorApi viewer = new CoordinatorApi(httpPort, VIEWER);
        await().atMost(Duration.ofSeconds(90)).until(() -> "READY".equals(viewer.state("n1")));
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }

    @Test
    void readsNeedAToken() throws Exception {
        HttpResponse<String> none = new CoordinatorApi(httpPort).get("/api/nodes");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(new CoordinatorApi(httpPort, "not-a-valid-token-at-all").get("/api/nodes").statusCode()).isEqualTo(401);
        assertThat(new CoordinatorApi(httpPort).get("/metrics").statusCode()).isEqualTo(401);
        assertThat(new CoordinatorApi(httpPort).get("/api/stream").statusCode()).isEqualTo(401);
        for (String token : List.of(VIEWER, OPERATOR)) {
            CoordinatorApi api = new CoordinatorApi(httpPort, token);
            for (String path : List.of("/api/nodes", "/api/nodes/n1", "/api/pools", "/api/tasks", "/api/timeline",
                    "/api/jobs", "/metrics")) {
                assertThat(api.get(path).statusCode()).as(path).isEqualTo(200);
            }
        }
        // open without a token: health for load balancers, and the dashboard's files (no data in them)
        assertThat(new CoordinatorApi(httpPort).get("/healthz").statusCode()).isEqualTo(200);
        assertThat(new CoordinatorApi(httpPort).get("/ui/index.html").body()).contains("<title>Drover</title>");
    }

    @Test
    void viewerCannotActOperatorCan() throws Exception {
        CoordinatorApi viewer = new CoordinatorApi(httpPort, VIEWER);
        CoordinatorApi operator = new CoordinatorApi(httpPort, OPERATOR);
        assertThat(viewer.post("/api/nodes/n1/drain", "{}").statusCode()).isEqualTo(403);
        assertThat(viewer.post("/api/pools/render/pause", "").statusCode()).isEqualTo(403);
        assertThat(viewer.post("/api/jobs", job()).statusCode()).isEqualTo(403);
        assertThat(viewer.post("/api/pools/render/limits", "{\"maxNodes\": 2}").statusCode()).isEqualTo(403);
        assertThat(viewer.state("n1")).isEqualTo("READY");

        assertThat(operator.post("/api/pools/render/limits", "{\"minNodes\": 3, \"maxNodes\": 2}").statusCode())
                .isEqualTo(400);
        assertThat(operator.post("/api/pools/render/limits", "{\"maxNodes\": 2}").statusCode()).isEqualTo(200);
        assertThat(operator.json("/api/pools").getJsonArray("pools").getJsonObject(0).getInteger("maxNodes"))
                .isEqualTo(2);

        assertThat(operator.post("/api/pools/render/pause", "").statusCode()).isEqualTo(200);
        assertThat(operator.post("/api/pools/nosuch/pause", "").statusCode()).isEqualTo(404);
        await().atMost(Duration.ofSeconds(30)).until(() -> operator.json("/api/pools").getJsonArray("pools")
                .getJsonObject(0).getString("reason").startsWith("paused by an operator"));
        assertThat(operator.post("/api/jobs", "{not json").statusCode()).isEqualTo(400);
        HttpResponse<String> bad = operator.post("/api/jobs", "{\"title\":\"x\",\"serviceKey\":\"sample\",\"tasks\":[]}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("tasks must be an array of 1..");
        assertThat(operator.post("/api/jobs", job()).statusCode()).isEqualTo(201);
        assertThat(operator.json("/api/jobs").getJsonArray("tasks")).hasSize(2);

        HttpResponse<String> drain = operator.post("/api/nodes/n1/drain", ""); // a bare POST, as the dashboard sends
        assertThat(drain.statusCode()).as(drain.body()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> "DRAINED".equals(operator.state("n1")));
        assertThat(operator.post("/api/nodes/nosuch/drain", "{}").statusCode()).isEqualTo(404);
        assertThat(operator.post("/api/nodes/n1/drain", "{\"deadlineSeconds\": -1}").statusCode()).isEqualTo(400);
    }

    @Test
    void metricsAreValidPrometheusTextWithTheFamilies() throws Exception {
        CoordinatorApi operator = new CoordinatorApi(httpPort, OPERATOR);
        assertThat(operator.post("/api/jobs", job()).statusCode()).isEqualTo(201);
        assertThat(operator.post("/api/nodes/n1/drain", "{}").statusCode()).isEqualTo(202);
        String text = await().atMost(Duration.ofSeconds(30)).until(() -> operator.get("/metrics").body(),
                t -> t.contains("drover_queue_tasks{") && t.contains("state=\"drained\"} 1.0"));
        for (String line : text.split("\n")) {
            if (!line.isEmpty()) {
                assertThat(line.startsWith("#") ? META.matcher(line).matches() : SAMPLE.matcher(line).matches())
                        .as("Prometheus text line: %s", line).isTrue();
            }
        }
        Set<String> families = Arrays.stream(text.split("\n")).filter(l -> l.startsWith("# TYPE "))
                .map(l -> l.split(" ")[2]).collect(Collectors.toSet());
        assertThat(families).contains("drover_nodes", "drover_queue_tasks", "drover_evictions_total",
                "drover_scale_actions_total", "drover_drains_total", "drover_requeues_total",
                "drover_agent_messages_total", "drover_event_visible_seconds", "drover_tick_seconds",
                "jvm_memory_used_bytes",
                "process_uptime_seconds");
        assertThat(text).contains("drover_nodes{pool=\"render\",state=\"drained\"} 1.0")
                .contains("drover_queue_tasks{service_key=\"sample\",state=\"ready\"} 2.0")
                .contains("drover_drains_total{pool=\"render\"} 1.0")
                .containsPattern("drover_agent_messages_total\\{type=\"heartbeat\"\\} [1-9]")
                .containsPattern("drover_tick_seconds_count [1-9]")
                .contains("drover_event_visible_seconds_bucket{event=\"progress\"");
    }

    /** Two tasks of a service key no pool serves: they stay queued. */
    private static String job() {
        return new JsonObject().put("title", "roles").put("serviceKey", "sample").put("tasks", new io.vertx.core.json.JsonArray()
                .add(new JsonObject().put("title", "frame 1").put("argv", new io.vertx.core.json.JsonArray().add("true")))
                .add(new JsonObject().put("title", "frame 2").put("argv", new io.vertx.core.json.JsonArray().add("true"))))
                .encode();
    }
}
