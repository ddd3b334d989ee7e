package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.config.CoordinatorConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser (headless Chromium through playwright-core) on a running demo: nodes
 * appear, a progress bar advances, an injected eviction shows in the timeline; a screenshot is kept in
 * target/it-artifacts/dashboard.png.
 */
class DashboardIT {
    @TempDir
    Path dir;

    @Test
    void dashboardShowsNodesProgressAndEviction() throws Exception {
        Browser.install();
        int httpPort = JarProcess.freePort();
        try (JarProcess demo = JarProcess.start(JarProcess.COORDINATOR_JAR, "demo-dashboard", List.of("demo",
                "--frames", "30", "--max-nodes", "3", "--http-port", String.valueOf(httpPort), "--work-dir",
                dir.toString(), "--agent-jar", JarProcess.AGENT_JAR.toString(), "--chaos-interval-seconds", "10",
                "--chaos-max", "1", "--eviction-notice-seconds", "20"), Map.of())) {
            String viewer = await().atMost(Duration.ofSeconds(120)).until(() -> DemoIT.token(demo.output(), "viewer"),
                    t -> t != null);
            Path screenshot = Browser.ARTIFACTS.resolve("dashboard.png");
            Files.deleteIfExists(screenshot);
            String operator = DemoIT.token(demo.output(), "operator");
            Browser.Run run = Browser.run("dashboard-check.cjs", Map.of("URL", "http://127.0.0.1:" + httpPort
                    + "/ui/#token=" + viewer, "OPERATOR_URL", "http://127.0.0.1:" + httpPort + "/ui/#token="
                    + operator, "SCREENSHOT", screenshot.toString(), "EXPECT_EVICTION", "1", "MIN_NODES", "2",
                    "TIMEOUT_MS", "90000"), 400);
            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.output()).contains("\"progress\":{\"node\":\"demo-").contains("\"eviction\":")
                    .contains("eviction of demo-");
            JsonObject result = new JsonObject(run.output().lines().filter(l -> l.startsWith("{")).findFirst()
                    .orElseThrow());
            assertThat(result.getJsonObject("drainAsViewer").getString("message")).contains("needs an operator token");
            JsonObject drained = result.getJsonObject("drainAsOperator");
            assertThat(drained.getString("message")).startsWith("draining");
            CoordinatorApi api = new CoordinatorApi(httpPort, viewer);
            assertThat(api.json("/api/timeline").getJsonArray("events").stream().map(e -> ((JsonObject) e)
                    .getString("message"))).anyMatch(m -> m.startsWith("draining " + drained.getString("node")
                            + ": operator via API"));
            assertThat(Files.size(screenshot)).isGreaterThan(10_000);
            // Ctrl-C: the demo stops every local VM it started
            assertThat(demo.terminate()).isIn(0, 130, 143);
            await().atMost(Duration.ofSeconds(90)).until(() -> ProcessHandle.allProcesses()
                    .noneMatch(p -> p.info().commandLine().orElse("").contains(dir.toString())));
        }
    }

    /**
     * 1,000 simulated nodes (real connections to the gateway, heartbeats and progress every second): every node
     * is drawn, progress still advances, and applying a snapshot stays far below the one-second refresh. The
     * render times go to target/it-artifacts/dashboard-1000.json (BENCHMARKS.md quotes them).
     */
    @Test
    void dashboardStaysResponsiveWithAThousandNodes() throws Exception {
        Browser.install();
        String token = "simulated-fleet-token-0123456789";
        CoordinatorConfig config = new CoordinatorConfig(
                // plaintext, and room for 1,000 waiting Hellos from the one address all simulated nodes share
                new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null, null,
                        CoordinatorConfig.Tls.plaintext(), 2000),
                new CoordinatorConfig.Http("127.0.0.1", 0), null, new CoordinatorConfig.Enrolment(List.of(token), null));
        Coordinator coordinator = new Coordinator(config, Clock.systemUTC()).start().await();
        try (SimulatedFleet fleet = new SimulatedFleet(coordinator.gatewayPort(), token, "sim", 1000)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.registry().size() == 1000);
            Path screenshot = Browser.ARTIFACTS.resolve("dashboard-1000.png");
            Browser.Run run = Browser.run("dashboard-check.cjs", Map.of("URL", "http://127.0.0.1:"
                    + coordinator.httpPort() + "/ui/", "SCREENSHOT", screenshot.toString(), "MIN_NODES", "1000",
                    "MEASURE_RENDER", "1", "TIMEOUT_MS", "60000"), 300);
            assertThat(run.exitCode()).as(run.output()).isZero();
            JsonObject result = new JsonObject(run.output().lines().filter(l -> l.startsWith("{")).findFirst()
                    .orElseThrow());
            assertThat(result.getInteger("nodes")).isEqualTo(1000);
            List<Integer> millis = result.getJsonArray("renderMillis").stream().map(o -> ((Number) o).intValue())
                    .sorted().toList();
            assertThat(millis).hasSizeGreaterThanOrEqualTo(5);
            int p95 = millis.get((int) Math.ceil(millis.size() * 0.95) - 1);
            Files.writeString(Browser.ARTIFACTS.resolve("dashboard-1000.json"), new JsonObject()
                    .put("nodes", 1000).put("renderMillis", millis).put("p95", p95).encodePrettily());
            // a functional bound, not a benchmark: the page must keep up with a snapshot a second
            assertThat(p95).as("render ms per snapshot, sorted: %s", millis).isLessThan(500);
        } finally {
            coordinator.stop().await();
        }
    }
}
