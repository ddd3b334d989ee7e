package dev.drover.coordinator.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts and stops real agent processes on this machine, each from the agent jar, logging to its own file.
 * The demo's stand-in for VMs in a scale set.
 */
public final class AgentProcesses {
    private final Path agentJar;
    private final Path logDir;
    private final List<Process> running = new ArrayList<>();

    public AgentProcesses(Path agentJar, Path logDir) {
        this.agentJar = agentJar;
        this.logDir = logDir;
    }

    /** Finds the agent jar beside the coordinator jar (a distribution) or in the source tree (after a build). */
    public static Path locateAgentJar() {
        Path here;
        try {
            here = Path.of(AgentProcesses.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            here = Path.of(".");
        }
        Path dir = Files.isDirectory(here) ? here : here.getParent();
        List<Path> candidates = List.of(dir.resolve("drover-agent.jar"),
                dir.resolve("../../agent/target/drover-agent.jar").normalize(),
                dir.resolve("../../../agent/target/drover-agent.jar").normalize(),
                Path.of("agent/target/drover-agent.jar").toAbsolutePath());
        return candidates.stream().filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new IllegalStateException("cannot find drover-agent.jar (looked in " + candidates
                        + "); build it with ./mvnw package or pass --agent-jar"));
    }

    public Process start(String nodeId, String pool, String coordinator, String token) throws IOException {
        Files.createDirectories(logDir);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xms8m", "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", agentJar.toString(), "--coordinator", coordinator, "--node-id", nodeId, "--pool", pool,
                "--no-imds")
                .redirectErrorStream(true)
                .redirectOutput(logDir.resolve(nodeId + ".log").toFile());
        pb.environment().put("DROVER_ENROLMENT_TOKEN", token);
        Process p = pb.start();
        synchronized (running) {
            running.add(p);
        }
        return p;
    }

    /** SIGTERM to every agent (they say Bye and flush), then SIGKILL to any that linger. */
    public void stopAll() throws InterruptedException {
        List<Process> all;
        synchronized (running) {
            all = new ArrayList<>(running);
            running.clear();
        }
        all.forEach(Process::destroy);
        for (Process p : all) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
