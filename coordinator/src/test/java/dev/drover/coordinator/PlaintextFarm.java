package dev.drover.coordinator;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A coordinator jar with a PLAINTEXT gateway ({@code tls.insecurePlaintext}) and real agent jars connected to
 * it, for tests that speak raw frames to the gateway at a rate TLS handshakes would not allow (fuzzing,
 * flooding). Everything started here is stopped by PID in {@link #close()}.
 */
final class PlaintextFarm implements AutoCloseable {
    private final Path dir;
    private final String token;
    private final List<JarProcess> processes = new ArrayList<>();
    private JarProcess coordinator;
    private int gatewayPort;
    private CoordinatorApi api;

    PlaintextFarm(Path dir, String token) {
        this.dir = dir;
        this.token = token;
    }

    /** @param gatewayExtra more {@code gateway:} keys in YAML flow style, e.g. {@code ", messageRate: {burst: 100}"} */
    PlaintextFarm startCoordinator(String name, String gatewayExtra) throws Exception {
        gatewayPort = JarProcess.freePort();
        int httpPort = JarProcess.freePort();
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, """
                gateway: {host: 127.0.0.1, port: %d, tls: {insecurePlaintext: true}%s}
                http: {host: 127.0.0.1, port: %d}
                enrolment: {tokens: [%s]}
                store: {path: %s}
                """.formatted(gatewayPort, gatewayExtra, httpPort, token, dir.resolve(name + ".db")));
        coordinator = JarProcess.start(JarProcess.COORDINATOR_JAR, name, List.of("--config", config.toString()), Map.of());
        processes.add(coordinator);
        api = new CoordinatorApi(httpPort);
        await().atMost(Duration.ofSeconds(60)).until(api::healthy); // JVM start on a loaded machine
        return this;
    }

    /** A real agent (off Azure, plaintext) enrolling as {@code nodeId}; returns once the node is READY. */
    JarProcess startAgent(String name, String nodeId) throws Exception {
        JarProcess agent = JarProcess.start(JarProcess.AGENT_JAR, name, List.of("--coordinator",
                "127.0.0.1:" + gatewayPort, "--insecure-plaintext", "--node-id", nodeId, "--pool", "it", "--no-imds"),
                Map.of("DROVER_ENROLMENT_TOKEN", token));
        processes.add(agent);
        await().atMost(Duration.ofSeconds(90)).until(() -> api.state(nodeId).equals("READY"));
        return agent;
    }

    int gatewayPort() {
        return gatewayPort;
    }

    CoordinatorApi api() {
        return api;
    }

    JarProcess coordinator() {
        return coordinator;
    }

    @Override
    public void close() throws Exception {
        for (JarProcess p : processes) {
            p.close();
        }
    }
}
