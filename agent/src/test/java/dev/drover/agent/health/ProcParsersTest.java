package dev.drover.agent.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.protocol.HostMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsers on /proc text captured from a Debian 12 machine, and the sampler on a fake /proc. */
class ProcParsersTest {
    static final String STAT_1 = """
            cpu  4705 356 584 3699176 23060 0 277 0 0 0
            cpu0 1393 0 399 1849588 11522 0 130 0 0 0
            intr 114930548 0 0 0 0
            """;
    static final String STAT_2 = """
            cpu  4805 356 684 3699276 23060 0 277 0 0 0
            """;
    static final String MEMINFO = """
            MemTotal:       24732764 kB
            MemFree:        23944012 kB
            MemAvailable:   24245640 kB
            Buffers:           47672 kB
            """;
    static final String LIMITS = """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max open files            20000                20000                files
            Max locked memory         8388608              8388608              bytes
            """;

    @TempDir
    Path proc;

    @Test
    void cpuPercentComesFromTheDeltaOfBusyAndIdleJiffies() {
        long[] a = ProcParsers.cpuTimes(STAT_1);
        long[] b = ProcParsers.cpuTimes(STAT_2);

        // 200 busy jiffies (100 user + 100 system) and 100 idle in between
        assertThat(ProcParsers.cpuPercent(a, b)).isCloseTo(66.67f, org.assertj.core.data.Offset.offset(0.01f));
        assertThat(ProcParsers.cpuPercent(a, a)).isZero();
    }

    @Test
    void readsLoadMemoryAndOpenFileLimit() {
        assertThat(ProcParsers.load1("0.58 0.31 0.20 1/180 4242\n")).isEqualTo(0.58f);
        assertThat(ProcParsers.meminfoBytes(MEMINFO, "MemTotal")).isEqualTo(24732764L * 1024);
        assertThat(ProcParsers.meminfoBytes(MEMINFO, "MemAvailable")).isEqualTo(24245640L * 1024);
        assertThat(ProcParsers.meminfoBytes(MEMINFO, "SwapTotal")).isEqualTo(-1);
        assertThat(ProcParsers.openFileLimit(LIMITS)).isEqualTo(20000);
        assertThat(ProcParsers.openFileLimit("Max open files  unlimited unlimited files\n")).isEqualTo(-1);
    }

    @Test
    void gpuCountAndMeanUseComeFromNvidiaSmiCsv() {
        float[] two = GpuSampler.parse("87\n13\n");
        assertThat(two[0]).isEqualTo(2f);
        assertThat(two[1]).isEqualTo(50f);
        float[] unknown = GpuSampler.parse("[N/A]\n");
        assertThat(unknown[0]).isEqualTo(1f);
        assertThat(unknown[1]).isZero();
        assertThat(GpuSampler.parse("")[0]).isZero();
    }

    @Test
    void refusesStatWithoutAggregateLine() {
        assertThatThrownBy(() -> ProcParsers.cpuTimes("cpu0 1 2 3 4\n")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void samplerReadsAFakeProcAndCountsProcesses() throws Exception {
        Files.writeString(proc.resolve("stat"), STAT_1);
        Files.writeString(proc.resolve("meminfo"), MEMINFO);
        Files.writeString(proc.resolve("loadavg"), "1.50 1.00 0.50 2/300 999\n");
        Files.createDirectories(proc.resolve("self"));
        Files.writeString(proc.resolve("self/limits"), LIMITS);
        Files.createDirectories(proc.resolve("1"));
        Files.createDirectories(proc.resolve("4242"));
        Files.createDirectories(proc.resolve("sys"));
        HostSampler sampler = new HostSampler(proc, proc);

        sampler.sample();
        Files.writeString(proc.resolve("stat"), STAT_2);
        HostMetrics m = sampler.sample();

        assertThat(m.cpuPercent()).isBetween(66f, 67f);
        assertThat(m.load1()).isEqualTo(1.5f);
        assertThat(m.memTotalBytes()).isEqualTo(24732764L * 1024);
        assertThat(m.processCount()).isEqualTo(2);
        assertThat(m.openFileLimit()).isEqualTo(20000);
        assertThat(m.scratchFreeBytes()).isPositive();
    }

    @Test
    void samplerDegradesToUnknownWhenProcIsUnreadable() {
        HostSampler sampler = new HostSampler(proc.resolve("missing"), proc);

        assertThat(sampler.sample()).isEqualTo(HostMetrics.UNKNOWN);
    }
}
