package dev.drover.coordinator;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real Drover program started from its jar for an integration test, stopped by PID, output kept in a file. */
final class JarProcess implements AutoCloseable {
    static final Path COORDINATOR_JAR = Path.of("target/drover-coordinator.jar").toAbsolutePath();
    static final Path AGENT_JAR = Path.of("../agent/target/drover-agent.jar").toAbsolutePath().normalize();
    static final Path LOG_DIR = Path.of("target/it-logs").toAbsolutePath();

    private final Process process;
    private final Path log;

    private JarProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Where this process's stdout and stderr go. */
    Path logPath() {
        return log;
    }

    /** Starts {@code java -jar jar args}; {@code name} names the log file and must be unique per test run. */
    static JarProcess start(Path jar, String name, List<String> args, Map<String, String> env) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing; integration tests run after 'package' (./mvnw verify)");
        }
        Files.createDirectories(LOG_DIR);
        Path log = LOG_DIR.resolve(name + ".log");
        List<String> command = new ArrayList<>(List.of(javaExecutable(), "-Xmx128m", "-jar", jar.toString()));
        command.addAll(args);
        if (jar.equals(AGENT_JAR) && !args.contains("--state-dir") && (args.isEmpty() || args.get(0).startsWith("--"))) {
            // Each agent daemon its own, empty state directory (outbox journal, task ledger): the default
            // /var/lib/drover/agent is locked by the first agent and would carry events from one run to the next.
            Path state = LOG_DIR.resolve(name + ".state");
            deleteRecursively(state);
            command.addAll(List.of("--state-dir", state.toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().putAll(env);
        return new JarProcess(pb.start(), log);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port that is free now, from below Linux's ephemeral range (32768+), so that a program binding port 0
     * meanwhile cannot be handed the same one; never the same port twice in one test JVM.
     */
    static int freePort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException inUse) {
                // try another
            }
        }
        throw new IOException("no free port found in 20000..31999");
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: the process gets no chance to say goodbye, like a VM that vanished. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, and the exit code once it has stopped. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    /** Waits up to {@code max} for the process to exit by itself: its exit code, or -1 if still running. */
    int waitFor(java.time.Duration max) throws InterruptedException {
        return process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    /** SIGKILL to the process and everything it started (a demo's agents), so no test leaves processes behind. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
