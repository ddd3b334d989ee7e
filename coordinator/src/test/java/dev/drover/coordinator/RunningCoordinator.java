package dev.drover.coordinator;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The real coordinator jar, started for an integration test on free loopback ports, ready to answer.
 *
 * @param dir the test's folder; the coordinator keeps its TLS material in {@code dir/tls} (see {@link TestTls})
 */
record RunningCoordinator(JarProcess process, int gatewayPort, CoordinatorApi api, Path dir) {

    /** What an agent jar needs to reach this coordinator: its address and the pinned CA. */
    List<String> agentArgs() {
        List<String> args = new java.util.ArrayList<>(List.of("--coordinator", "127.0.0.1:" + gatewayPort));
        args.addAll(TestTls.agentArgs(dir));
        return args;
    }

    /**
     * A coordinator config with API roles (viewer and operator tokens), one enrolment token, a store in
     * {@code dir} and one built-in-queue pool, written to {@code dir/coordinator.yaml}; returns its path.
     */
    static Path writeRolesConfig(Path dir, int gatewayPort, int httpPort, String viewer, String operator,
            String enrolment) throws java.io.IOException {
        Path config = dir.resolve("coordinator.yaml");
        Files.writeString(config, """
                gateway: {host: 127.0.0.1, port: %d%s}
                http: {host: 127.0.0.1, port: %d, viewerTokens: [%s], operatorTokens: [%s]}
                enrolment: {tokens: [%s]}
                store: {path: %s}
                pools:
                  - {name: render, serviceKeys: [blender], maxNodes: 4, pricePerNodeHour: 0.5}
                """.formatted(gatewayPort, TestTls.gatewayYaml(dir), httpPort, viewer, operator, enrolment,
                dir.resolve("coordinator.db")));
        return config;
    }

    /**
     * @param gatewayExtra more {@code gateway:} keys in YAML flow style, e.g. {@code ", helloTimeoutMillis: 2000"}
     * @param extraYaml more top-level sections, e.g. a {@code liveness:} block
     */
    static RunningCoordinator start(Path dir, String name, String token, String gatewayExtra, String extraYaml)
            throws Exception {
        return startWithEnrolment(dir, name, "{tokens: [" + token + "]}", gatewayExtra, extraYaml);
    }

    /** @param enrolment the {@code enrolment:} YAML value, e.g. with pool tokens */
    static RunningCoordinator startWithEnrolment(Path dir, String name, String enrolment, String gatewayExtra,
            String extraYaml) throws Exception {
        return startWithEnrolment(dir, name, enrolment, gatewayExtra, extraYaml, Map.of());
    }

    /** @param env more environment for the coordinator (e.g. a managed identity endpoint for ARM) */
    static RunningCoordinator startWithEnrolment(Path dir, String name, String enrolment, String gatewayExtra,
            String extraYaml, Map<String, String> env) throws Exception {
        int gatewayPort = JarProcess.freePort();
        int httpPort = JarProcess.freePort();
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, """
                gateway: {host: 127.0.0.1, port: %d%s%s}
                http: {host: 127.0.0.1, port: %d}
                enrolment: %s
                store: {path: %s}
                %s
                """.formatted(gatewayPort, TestTls.gatewayYaml(dir), gatewayExtra, httpPort, enrolment,
                        dir.resolve(name + ".db"), extraYaml));
        JarProcess process = JarProcess.start(JarProcess.COORDINATOR_JAR, name, List.of("--config", config.toString()),
                env);
        CoordinatorApi api = new CoordinatorApi(httpPort);
        await().atMost(Duration.ofSeconds(60)).until(api::healthy); // JVM start and first-run TLS set-up on a loaded machine
        return new RunningCoordinator(process, gatewayPort, api, dir);
    }
}
