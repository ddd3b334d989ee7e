package dev.drover.protocol;

/**
 * Host health sampled by the agent. Byte counts are bytes; -1 means "not measured" for the optional
 * numbers (GPU, scratch disk, open-file limit) so that a host without them is not mistaken for an empty one.
 */
public record HostMetrics(float cpuPercent, float load1, long memTotalBytes, long memAvailableBytes,
        long scratchFreeBytes, long openFileLimit, int processCount, int gpuCount, float gpuPercent) {

    public static final HostMetrics UNKNOWN = new HostMetrics(0, 0, 0, 0, -1, -1, 0, 0, 0);

    public HostMetrics {
        Fields.range(cpuPercent, 0f, 100f, "metrics.cpuPercent");
        Fields.range(load1, 0f, Float.MAX_VALUE, "metrics.load1");
        Fields.nonNegative(memTotalBytes, "metrics.memTotalBytes");
        Fields.nonNegative(memAvailableBytes, "metrics.memAvailableBytes");
        if (scratchFreeBytes < -1) {
            throw new IllegalArgumentException("metrics.scratchFreeBytes must be >= -1, got " + scratchFreeBytes);
        }
        if (openFileLimit < -1) {
            throw new IllegalArgumentException("metrics.openFileLimit must be >= -1, got " + openFileLimit);
        }
        Fields.nonNegative(processCount, "metrics.processCount");
        Fields.range(gpuCount, 0, 0xFFFF, "metrics.gpuCount");
        Fields.range(gpuPercent, 0f, 100f, "metrics.gpuPercent");
    }

    void write(WireWriter w) {
        w.f32(cpuPercent).f32(load1).i64(memTotalBytes).i64(memAvailableBytes).i64(scratchFreeBytes)
                .i64(openFileLimit).i32(processCount).u16(gpuCount).f32(gpuPercent);
    }

    static HostMetrics read(WireReader r) {
        return new HostMetrics(r.f32("metrics.cpuPercent"), r.f32("metrics.load1"), r.i64("metrics.memTotalBytes"),
                r.i64("metrics.memAvailableBytes"), r.i64("metrics.scratchFreeBytes"),
                r.i64("metrics.openFileLimit"), r.i32("metrics.processCount"), r.u16("metrics.gpuCount"),
                r.f32("metrics.gpuPercent"));
    }
}
