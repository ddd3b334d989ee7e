package dev.drover.coordinator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A JVM the ingest benchmark starts, reads from /proc and stops by PID (SIGTERM, then SIGKILL). */
final class BenchProcess implements AutoCloseable {
    /** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every platform this runs on. */
    static final double TICKS_PER_SECOND = 100;
    final Process process;
    final Path log;

    private BenchProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static BenchProcess java(Path dir, String name, List<String> jvmAndArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmAndArgs);
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new BenchProcess(p, log);
    }

    long pid() {
        return process.pid();
    }

    /** User + system CPU seconds used so far (/proc/PID/stat fields 14 and 15). */
    double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid()), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND; // fields 14, 15 of the line
    }

    /** Resident memory, bytes (VmRSS). */
    long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    /** SIGSTOP or SIGCONT through kill(1), for the stall measurement. */
    void signal(String name) throws Exception {
        new ProcessBuilder("kill", "-" + name, String.valueOf(pid())).inheritIO().start().waitFor();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
