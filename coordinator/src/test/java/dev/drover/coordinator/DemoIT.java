package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's run command: the demo brings up a coordinator with a registered local node. */
class DemoIT {
    @TempDir
    Path dir;

    @Test
    void demoShowsRegisteredNodesAndStopsCleanly() throws Exception {
        int httpPort = JarProcess.freePort();
        try (JarProcess demo = JarProcess.start(JarProcess.COORDINATOR_JAR, "demo",
                List.of("demo", "--agents", "2", "--http-port", String.valueOf(httpPort), "--work-dir",
                        dir.toString(), "--agent-jar", JarProcess.AGENT_JAR.toString()), Map.of())) {
            CoordinatorApi api = new CoordinatorApi(httpPort);

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> api.healthy() && api.nodes().size() == 2
                            && api.nodes().stream().allMatch(n -> "READY".equals(((JsonObject) n).getString("state"))));
            assertThat(demo.output()).contains("/api/nodes");
            JsonObject node = api.node("demo-node-01").orElseThrow();
            assertThat(node.getString("pool")).isEqualTo("demo");

            // SIGTERM: the agents say goodbye first, then the coordinator stops
            assertThat(demo.terminate()).isIn(0, 143);
            assertThat(java.nio.file.Files.readString(dir.resolve("logs/demo-node-01.log"))).contains("agent stopped");
        }
    }
}
