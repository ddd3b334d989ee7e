package dev.drover.coordinator.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A real Drover program (or a helper such as socat) for a fault test: optionally inside a network namespace
 * ({@code ip netns exec} execs the command, so the PID is the program's own), output in a log file, stopped by
 * PID. Everything it ever started — including a task orphaned by {@code kill -9} — is remembered and killed on
 * {@link #close()}.
 */
final class FaultProcess implements AutoCloseable {
    static final Path COORDINATOR_JAR = Path.of("target/drover-coordinator.jar").toAbsolutePath();
    static final Path AGENT_JAR = Path.of("../agent/target/drover-agent.jar").toAbsolutePath().normalize();
    static final Path LOG_DIR = Path.of("target/it-logs/faults").toAbsolutePath();

    private final Process process;
    private final Path log;
    private final Set<ProcessHandle> seen = ConcurrentHashMap.newKeySet();

    private FaultProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code java -Xmx<heap> -jar jar args}, in {@code netns} unless it is null, with {@code dir} as working dir. */
    static FaultProcess startJar(String netns, Path jar, String heap, String name, Path dir, List<String> args,
            Map<String, String> env) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing; fault tests run after 'package' (./mvnw verify)");
        }
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx" + heap, "-jar", jar.toString()));
        command.addAll(args);
        return start(netns, name, dir, command, env);
    }

    static FaultProcess start(String netns, String name, Path dir, List<String> command, Map<String, String> env)
            throws IOException {
        Files.createDirectories(LOG_DIR);
        Path log = LOG_DIR.resolve(name + ".log");
        List<String> full = new ArrayList<>();
        if (netns != null) {
            full.addAll(List.of("ip", "netns", "exec", netns));
        }
        full.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return new FaultProcess(pb.start(), log);
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Remembers what the process has started so far, so that {@link #close()} can stop orphans too. */
    void rememberDescendants() {
        process.descendants().forEach(seen::add);
    }

    /** SIGKILL to the program alone: its children are left as a crash leaves them. */
    void kill9() throws InterruptedException {
        rememberDescendants();
        process.destroyForcibly();
        process.waitFor(15, TimeUnit.SECONDS);
    }

    /** SIGTERM to the program alone; its exit code, or -1 if it did not stop within {@code seconds}. */
    int sigterm(int seconds) throws InterruptedException {
        rememberDescendants();
        process.destroy();
        return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() throws InterruptedException {
        rememberDescendants();
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        seen.forEach(ProcessHandle::destroyForcibly);
    }
}
