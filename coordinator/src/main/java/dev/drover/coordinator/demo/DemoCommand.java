package dev.drover.coordinator.demo;

import dev.drover.coordinator.Coordinator;
import dev.drover.coordinator.CoordinatorMain;
import dev.drover.coordinator.config.CoordinatorConfig;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drover-coordinator demo}: Drover on one machine with no cloud — a coordinator and local agent
 * processes, with a fresh enrolment token.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs a coordinator and local agents on this machine; no cloud or Tractor needed.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--agents", defaultValue = "1", description = "Local agent processes to start (default ${DEFAULT-VALUE}).")
    int agents;

    @Option(names = "--http-port", defaultValue = "7780", description = "API port (default ${DEFAULT-VALUE}; 0 = any).")
    int httpPort;

    @Option(names = "--gateway-port", defaultValue = "0", description = "Agent gateway port (default any free port).")
    int gatewayPort;

    @Option(names = "--agent-jar", paramLabel = "FILE", description = "The agent jar (default: found beside this one).")
    Path agentJar;

    @Option(names = "--work-dir", defaultValue = ".drover/demo", paramLabel = "DIR",
            description = "Where agent logs go (default ${DEFAULT-VALUE}).")
    Path workDir;

    @Override
    public Integer call() throws Exception {
        if (agents < 1 || agents > 64) {
            System.err.println("demo: --agents must be 1..64, got " + agents);
            return 2;
        }
        String token = newToken();
        CoordinatorConfig config = new CoordinatorConfig(
                new CoordinatorConfig.Gateway("127.0.0.1", gatewayPort, null, null, null, null),
                new CoordinatorConfig.Http("127.0.0.1", httpPort), null,
                new CoordinatorConfig.Enrolment(List.of(token), null));
        Path jar = agentJar != null ? agentJar : AgentProcesses.locateAgentJar();
        CoordinatorMain.logBanner();
        Coordinator coordinator;
        try {
            coordinator = new Coordinator(config, Clock.systemUTC()).start().await();
        } catch (Coordinator.StartException e) {
            System.err.println("demo: " + e.getMessage() + " (choose another with --http-port)");
            return 1;
        }
        AgentProcesses processes = new AgentProcesses(jar, workDir.resolve("logs"));
        for (int i = 1; i <= agents; i++) {
            processes.start(String.format("demo-node-%02d", i), "demo", "127.0.0.1:" + coordinator.gatewayPort(), token);
        }
        String base = "http://127.0.0.1:" + coordinator.httpPort();
        System.out.println();
        System.out.println("Drover demo is running: " + agents + " local agent(s) enrolling.");
        System.out.println("  nodes:  " + base + "/api/nodes");
        System.out.println("  health: " + base + "/healthz");
        System.out.println("  agent logs: " + workDir.resolve("logs").toAbsolutePath());
        System.out.println("Press Ctrl-C to stop.");
        System.out.println();
        // Agents first, so they say goodbye to a coordinator that is still there to hear it.
        CoordinatorMain.runUntilStopped(coordinator, () -> {
            try {
                processes.stopAll();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return 0;
    }

    private static String newToken() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
