package dev.drover.coordinator.bench;

import io.vertx.core.json.JsonObject;
import java.util.List;

/** Percentiles of a benchmark's samples, as BENCHMARKS.md quotes them. */
final class BenchStats {
    private BenchStats() {
    }

    static JsonObject stats(List<Long> millis) {
        return new JsonObject().put("p50", percentile(millis, 50)).put("p95", percentile(millis, 95))
                .put("p99", percentile(millis, 99)).put("max", millis.stream().mapToLong(Long::longValue).max().orElse(0))
                .put("all", millis);
    }

    /** Nearest-rank percentile. */
    static long percentile(List<Long> values, int p) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(Math.max(0, (int) Math.ceil(sorted.size() * p / 100.0) - 1));
    }
}
