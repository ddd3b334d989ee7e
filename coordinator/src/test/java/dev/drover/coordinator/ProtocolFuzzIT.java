package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fuzz.FuzzRun;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the agent gateway of a real coordinator (plaintext, -Xmx128m) while a real agent is connected:
 * random bytes, frames with random bodies, every message type with random field values and mutated
 * encodings, before and after a valid Hello. The coordinator must stay up, the real agent must keep its
 * session, and memory and log volume must stay bounded.
 *
 * <p>100,000 cases by default (seed {@code fuzz.seed}); the long run is
 * {@code ./mvnw -B -pl coordinator -am verify -DskipUTs -Dit.test=ProtocolFuzzIT -Dfuzz.cases=1000000}.
 * Figures go to target/it-artifacts/protocol-fuzz.json.
 */
class ProtocolFuzzIT {
    private static final String TOKEN = "protocol-fuzz-token-0123456789";
    private static final long SEED = Long.getLong("fuzz.seed", 20261130L);
    /** The test command's 100,000 cases take about two minutes on a quiet 2-core machine (836 cases/s). */
    private static final long CASES = Long.getLong("fuzz.cases", 100_000L);
    private static final int WORKERS = 4;
    /** A healthy gateway answers a Ping or closes within this, even on a loaded machine. */
    private static final int READ_TIMEOUT_MILLIS = 30_000;
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void fuzzingTheGatewayNeitherCrashesItNorDisturbsARealAgent() throws Exception {
        try (PlaintextFarm farm = new PlaintextFarm(dir, TOKEN)) {
            farm.startCoordinator("fuzz-coordinator", "");
            farm.startAgent("fuzz-agent", "real-1");
            CoordinatorApi api = farm.api();
            String session = api.node("real-1").orElseThrow().getString("sessionId");
            Path log = JarProcess.LOG_DIR.resolve("fuzz-coordinator.log");
            long logBefore = Files.size(log);

            FuzzRun.Figures figures = new FuzzRun(farm.gatewayPort(), TOKEN, SEED, WORKERS, READ_TIMEOUT_MILLIS)
                    .run(CASES);

            assertThat(farm.coordinator().isAlive()).as("coordinator process alive").isTrue();
            assertThat(api.healthy()).isTrue();
            long logBytes = Files.size(log) - logBefore;
            String metrics = api.get("/metrics").body();
            long heapUsed = sum(metrics, "(?m)^jvm_memory_used_bytes\\{area=\"heap\"[^}]*} (\\S+)");
            long liveData = sum(metrics, "(?m)^jvm_gc_live_data_size_bytes(?:\\{[^}]*})? (\\S+)");
            JsonArray nodes = api.nodes();
            JsonObject real = api.node("real-1").orElseThrow();
            String json = ("{\"seed\": %d, \"cases\": %d, \"connections\": %d, \"survivedWithPong\": %d, "
                    + "\"closedByGateway\": %d, \"closedMidChunk\": %d, \"byKind\": \"%s\", \"millis\": %d, \"casesPerSecond\": %d, "
                    + "\"preHelloMillis\": %d, \"enrolMillis\": %d, \"caseMillis\": %d, \"coordinatorLogBytes\": %d, \"heapUsedBytes\": %d, \"gcLiveDataBytes\": %d, \"nodes\": %d}")
                    .formatted(SEED, figures.cases(), figures.connections(), figures.survived(),
                            figures.closedByGateway(), figures.closedEarly(), figures.byKind(), figures.millis(),
                            figures.cases() * 1000 / Math.max(1, figures.millis()), figures.preHelloMillis(),
                            figures.enrolMillis(), figures.caseMillis(), logBytes, heapUsed, liveData,
                            nodes.size());
            System.out.println("protocol fuzz: " + json);
            Path artifacts = Path.of("target", "it-artifacts");
            Files.createDirectories(artifacts);
            Files.writeString(artifacts.resolve("protocol-fuzz.json"), json + "\n");

            assertThat(figures.cases()).isEqualTo(CASES);
            assertThat(real.getString("sessionId")).as("the real agent's session").isEqualTo(session);
            assertThat(real.getBoolean("connected")).isTrue();
            assertThat(real.getString("state")).isEqualTo("READY");
            assertThat(farm.coordinator().output()).doesNotContain("OutOfMemoryError")
                    .doesNotContain("Exception in thread");
            // the fleet holds the real node and the fuzzers' bounded ids only
            assertThat(nodes.size()).isLessThanOrEqualTo(1 + WORKERS * FuzzRun.IDS_PER_WORKER);
            assertThat(heapUsed).as("heap used after the run (-Xmx128m)").isLessThan(112 * MIB);
            // logging is rate-limited for bad connections; what remains is one lifecycle line per enrolled
            // connection at most: far below the ~200 bytes a case an unlimited log would take
            assertThat(logBytes).as("coordinator log bytes for %d cases", CASES).isLessThan(CASES * 100);
        }
    }

    private static long sum(String metrics, String regex) {
        Matcher m = Pattern.compile(regex).matcher(metrics);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return (long) total;
    }
}
