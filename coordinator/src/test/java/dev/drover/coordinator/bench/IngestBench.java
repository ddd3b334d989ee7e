package dev.drover.coordinator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's ingest benchmark (issue 16), one size after another: see {@link IngestRun}. Not part of
 * the test suite (run by name). Command, with the defaults shown:
 * <pre>
 * ./mvnw -B -pl coordinator -am verify -DskipUTs -Dit.test=IngestBench -Dfailsafe.failIfNoSpecifiedTests=false \
 *     -Dbench.sizes=1000,5000,10000,19000 -Dbench.heartbeatMillis=5000 -Dbench.seconds=30 -Dbench.heap=1g \
 *     -Dbench.jfr=false -Dbench.stall=true -Dbench.dashboard=false -Dbench.jvmOptions=
 * </pre>
 * Results: {@code coordinator/target/bench/ingest-<heartbeat>ms.json}, one object per size, and a table on
 * stdout in BENCHMARKS.md's form. Open files: each side holds N sockets, so N stays below {@code ulimit -n}.
 */
class IngestBench {
    @Test
    void ingest() throws Exception {
        int[] sizes = Arrays.stream(System.getProperty("bench.sizes", "1000,5000,10000,19000").split(","))
                .mapToInt(v -> Integer.parseInt(v.trim())).toArray();
        long heartbeat = Long.getLong("bench.heartbeatMillis", 5000);
        int seconds = Integer.getInteger("bench.seconds", 30);
        String heap = System.getProperty("bench.heap", "1g");
        boolean jfr = Boolean.getBoolean("bench.jfr");
        boolean stall = Boolean.parseBoolean(System.getProperty("bench.stall", "true"));
        boolean dashboard = Boolean.getBoolean("bench.dashboard");
        List<String> jvmOptions = System.getProperty("bench.jvmOptions", "").isBlank() ? List.of()
                : List.of(System.getProperty("bench.jvmOptions").trim().split("\\s+"));
        Path out = Files.createDirectories(Path.of("target/bench"));
        JsonArray results = new JsonArray();
        for (int n : sizes) {
            JsonObject r = new IngestRun(out.resolve("ingest-" + n + "-" + heartbeat + "ms"),
                    new IngestRun.Settings(n, heartbeat, 15, seconds, heap, jfr, stall, dashboard,
                            jvmOptions)).run();
            results.add(r);
            Files.writeString(out.resolve("ingest-" + heartbeat + "ms.json"), results.encodePrettily());
            System.out.println("INGEST " + row(r));
        }
        assertThat(results).hasSize(sizes.length);
    }

    /** A BENCHMARKS.md table row. */
    static String row(JsonObject r) {
        JsonObject v = r.getJsonObject("sendToVisibleMillis");
        return "| %d | %d ms | %.1f %% | %.1f %% | %.2f | %d / %d ms | %d of %d alive, %d Suspect, %d drops | %d MB / %d MB | %d B | %s |"
                .formatted(r.getInteger("agents"), r.getLong("heartbeatMillis"), r.getDouble("coordinatorCpu"),
                        r.getDouble("bareCpu"), r.getDouble("cpuRatio"), v.getLong("p50"), v.getLong("p99"),
                        r.getInteger("aliveShown"), r.getInteger("agents"), r.getInteger("suspectShown"),
                        r.getLong("dropsDuringMeasurement"), r.getLong("heapLiveBytes") >> 20,
                        r.getLong("rssBytes") >> 20, r.getLong("heapPerNodeBytes"), r.getString("loadAverageBefore"));
    }
}
