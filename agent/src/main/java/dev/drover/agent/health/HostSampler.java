package dev.drover.agent.health;

import dev.drover.protocol.HostMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples host health from /proc once per heartbeat. Reading a handful of small procfs files costs
 * microseconds, well under the 1 % of a core the agent may spend. A file that cannot be read gives a
 * neutral value and one warning, never an exception: a heartbeat without CPU numbers is still a heartbeat.
 */
public final class HostSampler {
    private static final Logger LOGGER = LoggerFactory.getLogger(HostSampler.class);

    private final Path proc;
    private final Path scratch;
    private final GpuSampler gpus = GpuSampler.find();
    private long[] lastCpu;
    private boolean warned;

    public HostSampler(Path proc, Path scratch) {
        this.proc = proc;
        this.scratch = scratch;
    }

    public static HostSampler forThisHost(Path scratch) {
        return new HostSampler(Path.of("/proc"), scratch);
    }

    public synchronized HostMetrics sample() {
        try {
            long[] cpu = ProcParsers.cpuTimes(read("stat"));
            float cpuPercent = lastCpu == null ? 0f : ProcParsers.cpuPercent(lastCpu, cpu);
            lastCpu = cpu;
            String meminfo = read("meminfo");
            long memTotal = Math.max(0, ProcParsers.meminfoBytes(meminfo, "MemTotal"));
            long memAvailable = Math.max(0, ProcParsers.meminfoBytes(meminfo, "MemAvailable"));
            float[] gpu = gpus != null ? gpus.sample() : new float[] {0, 0};
            return new HostMetrics(cpuPercent, Math.max(0f, ProcParsers.load1(read("loadavg"))), memTotal,
                    memAvailable, scratchFree(), ProcParsers.openFileLimit(read("self/limits")), processCount(),
                    (int) gpu[0], gpu[1]);
        } catch (IOException | RuntimeException e) {
            if (!warned) {
                warned = true;
                LOGGER.atWarn().addKeyValue("proc", proc).setCause(e)
                        .log("cannot sample host metrics; heartbeats carry no host numbers until this clears");
            }
            return HostMetrics.UNKNOWN;
        }
    }

    private String read(String name) throws IOException {
        return Files.readString(proc.resolve(name), StandardCharsets.US_ASCII);
    }

    private long scratchFree() {
        try {
            return Files.getFileStore(scratch).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    private int processCount() throws IOException {
        int count = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc, p -> isPid(p.getFileName().toString()))) {
            for (Path ignored : entries) {
                count++;
            }
        }
        return count;
    }

    private static boolean isPid(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
