package dev.drover.agent.runtask;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real agent jar as a separate process, for tests that kill it: its output goes to a file, and
 * {@link #close} stops it and every process it started, by pid.
 */
final class AgentProcess implements AutoCloseable {
    static final Path JAR = Path.of("target/drover-agent.jar").toAbsolutePath();
    static final String TOKEN = "secret-token-4b1d";

    private final Process process;
    final Path log;

    private AgentProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts an agent with its config in {@code dir}; state in {@code dir/state}, output in {@code dir/<name>.log}. */
    static AgentProcess start(Path dir, int coordinatorPort, String name) throws IOException {
        Path config = dir.resolve("agent.yaml");
        Files.writeString(config, String.join("\n",
                "coordinator: {host: 127.0.0.1, port: " + coordinatorPort + "}",
                "node: {id: restart-node, pool: test}",
                "imds: {enabled: false}",
                "reconnect: {initialDelayMillis: 50, maxDelayMillis: 500}",
                "scratchDir: " + dir.resolve("scratch"),
                "localSocket: " + dir.resolve("agent.sock"),
                "stateDir: " + dir.resolve("state"), ""));
        Files.createDirectories(dir.resolve("scratch"));
        Path log = dir.resolve(name + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The scripted coordinator speaks plain TCP: these tests are about the agent's restarts, and TLS has
        // tests of its own (CoordinatorTlsIT); the explicit development option says so.
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-jar", JAR.toString(), "--config",
                config.toString(), "--insecure-plaintext"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        // The agent's secret, by its own name and under another, to prove neither reaches a task.
        pb.environment().put("DROVER_ENROLMENT_TOKEN", TOKEN);
        pb.environment().put("SOME_TOOL_SETTING", "x" + TOKEN + "y");
        return new AgentProcess(pb.start(), log);
    }

    long pid() {
        return process.pid();
    }

    /** kill -9: no shutdown hook, no goodbye, nothing flushed that was not already on disk. */
    void killHard() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, as systemd stops the service; returns the exit code. */
    int terminate(long seconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("agent did not exit within " + seconds + " s of SIGTERM");
        }
        return process.exitValue();
    }

    boolean alive() {
        return process.isAlive();
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
