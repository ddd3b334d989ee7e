package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No secret reaches a task or a log line (SECURITY.md): a real built-in job runs through the real jars and prints
 * its whole environment; neither that environment, nor the API's answers, nor either program's log holds the
 * enrolment token, the node credential, an operator or viewer token, or a wrong token someone tried.
 */
class SecretsStayOutIT {
    private static final String ENROL = "secrets-enrolment-token-0123456789";
    private static final String OPERATOR = "secrets-operator-token-0123456789";
    private static final String VIEWER = "secrets-viewer-token-0123456789ab";
    private static final String WRONG = "secrets-wrong-token-guessed-012345";

    @TempDir
    Path dir;

    private final List<JarProcess> processes = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (JarProcess p : processes) {
            p.close();
        }
    }

    @Test
    void aBuiltInTaskSeesNoSecretAndNoLogLineHoldsOne() throws Exception {
        // given a coordinator with every kind of token, and an agent that enrols with the enrolment token
        int gatewayPort = JarProcess.freePort();
        int httpPort = JarProcess.freePort();
        Path config = RunningCoordinator.writeRolesConfig(dir, gatewayPort, httpPort, VIEWER, OPERATOR, ENROL);
        JarProcess coordinator = JarProcess.start(JarProcess.COORDINATOR_JAR, "secrets-coordinator",
                List.of("--config", config.toString()), Map.of());
        processes.add(coordinator);
        CoordinatorApi viewer = new CoordinatorApi(httpPort, VIEWER);
        CoordinatorApi operator = new CoordinatorApi(httpPort, OPERATOR);
        await().atMost(Duration.ofSeconds(90)).until(new CoordinatorApi(httpPort)::healthy);
        Path state = dir.resolve("agent-state");
        List<String> args = new ArrayList<>(List.of("--coordinator", "127.0.0.1:" + gatewayPort));
        args.addAll(TestTls.agentArgs(dir));
        args.addAll(List.of("--node-id", "n1", "--pool", "render", "--no-imds", "--heartbeat-millis", "500",
                "--state-dir", state.toString(), "--local-socket", dir.resolve("agent.sock").toString()));
        // a tool setting that happens to embed the token must not reach tasks either
        JarProcess agent = JarProcess.start(JarProcess.AGENT_JAR, "secrets-agent", args,
                Map.of("DROVER_ENROLMENT_TOKEN", ENROL, "SOME_TOOL_SETTING", "url=https://x/?t=" + ENROL));
        processes.add(agent);
        await().atMost(Duration.ofSeconds(90)).until(() -> "READY".equals(viewer.state("n1")));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(state.resolve("node-credential")));
        String credential = Files.readString(state.resolve("node-credential")).trim();
        assertThat(credential).isNotEmpty();
        // someone tries a wrong token
        assertThat(new CoordinatorApi(httpPort, WRONG).get("/api/nodes").statusCode()).isEqualTo(401);

        // when an operator runs a job whose task prints its whole environment
        Path envFile = dir.resolve("task.env");
        JsonObject job = new JsonObject().put("title", "print env").put("serviceKey", "blender").put("tasks",
                new JsonArray().add(new JsonObject().put("title", "env").put("env", new JsonArray().add("FROM_JOB=1"))
                        .put("argv", new JsonArray().add("sh").add("-c").add("env > '" + envFile + "'; env"))));
        assertThat(operator.post("/api/jobs", job.encode()).statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(90)).until(() -> viewer.json("/api/jobs").getJsonArray("tasks")
                .getJsonObject(0).getString("state").equals("DONE"));

        // then the task ran with its job's environment and none of Drover's secrets
        String env = Files.readString(envFile);
        assertThat(env).contains("FROM_JOB=1", "TR_ENV_JID=");
        List<String> secrets = List.of(ENROL, credential, OPERATOR, VIEWER, WRONG);
        for (String secret : secrets) {
            assertThat(env).as("task environment").doesNotContain(secret);
        }
        assertThat(env).doesNotContain("DROVER_ENROLMENT_TOKEN").doesNotContain("SOME_TOOL_SETTING");
        // and nothing the API shows, nor any log line of either program, holds a secret
        String shown = viewer.get("/api/nodes").body() + viewer.get("/api/nodes/n1").body()
                + viewer.get("/api/jobs").body() + viewer.get("/api/timeline").body() + viewer.get("/metrics").body();
        String logs = coordinator.output() + agent.output();
        assertThat(logs).contains("agent enrolled"); // the logs are the real ones
        for (String secret : secrets) {
            assertThat(shown).as("API").doesNotContain(secret);
            assertThat(logs).as("logs").doesNotContain(secret);
        }
    }
}
