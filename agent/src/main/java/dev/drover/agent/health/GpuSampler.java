package dev.drover.agent.health;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * GPU count and mean utilisation from {@code nvidia-smi}, when it is installed. Starting a process costs tens
 * of milliseconds, so it runs at most every 30 s and heartbeats in between reuse the last answer.
 */
final class GpuSampler {
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);
    private final Path nvidiaSmi;
    private long lastNanos;
    private float[] last = {0, 0};

    private GpuSampler(Path nvidiaSmi) {
        this.nvidiaSmi = nvidiaSmi;
    }

    /** A sampler, or null when this host has no nvidia-smi (no NVIDIA GPU to report). */
    static GpuSampler find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "nvidia-smi");
            if (Files.isExecutable(p)) {
                return new GpuSampler(p);
            }
        }
        return null;
    }

    /** {count, mean utilisation %}. */
    float[] sample() {
        long now = System.nanoTime();
        if (lastNanos != 0 && now - lastNanos < REFRESH_NANOS) {
            return last;
        }
        lastNanos = now;
        try {
            Process p = new ProcessBuilder(List.of(nvidiaSmi.toString(), "--query-gpu=utilization.gpu",
                    "--format=csv,noheader,nounits")).redirectErrorStream(true).start();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
                last = parse(new String(p.getInputStream().readNBytes(8192), StandardCharsets.US_ASCII));
            } else {
                p.destroyForcibly();
            }
        } catch (IOException | RuntimeException e) {
            last = new float[] {0, 0};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return last;
    }

    /** One utilisation number per GPU per line, e.g. {@code 87}; "[N/A]" lines count as a GPU at 0 %. */
    static float[] parse(String output) {
        int count = 0;
        float sum = 0;
        for (String line : output.split("\n")) {
            String v = line.trim();
            if (v.isEmpty()) {
                continue;
            }
            count++;
            try {
                sum += Math.max(0, Math.min(100, Float.parseFloat(v)));
            } catch (NumberFormatException e) {
                // "[N/A]" or "[Not Supported]": the GPU exists, its use is unknown
            }
        }
        return new float[] {count, count == 0 ? 0 : sum / count};
    }
}
