package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
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
            String viewer = await().atMost(Duration.ofSeconds(30)).until(() -> DemoIT.token(demo.output(), "viewer"),
                    t -> t != null);
            Path screenshot = Browser.ARTIFACTS.resolve("dashboard.png");
            Files.deleteIfExists(screenshot);
            Browser.Run run = Browser.run("dashboard-check.cjs", Map.of("URL", "http://127.0.0.1:" + httpPort
                    + "/ui/#token=" + viewer, "SCREENSHOT", screenshot.toString(), "EXPECT_EVICTION", "1",
                    "MIN_NODES", "2", "TIMEOUT_MS", "90000"), 400);
            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.output()).contains("\"progress\":{\"node\":\"demo-").contains("\"eviction\":")
                    .contains("eviction of demo-");
            assertThat(Files.size(screenshot)).isGreaterThan(10_000);
        }
    }
}
