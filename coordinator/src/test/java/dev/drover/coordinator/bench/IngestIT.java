package dev.drover.coordinator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ingest benchmark at a tiny size, so CI runs its whole path once: 200 agents at a 1 s heartbeat against
 * the coordinator jar and the bare reader, with the 3 s stall. Asserts only what could fail on any machine —
 * every agent shown alive, the probe's progress seen through the API, both CPU figures and their ratio
 * computed — never a speed.
 */
class IngestIT {
    @Test
    void twoHundredAgentsAreAllShownAliveAndTheProbeIsSeen() throws Exception {
        Path dir = Files.createDirectories(Path.of("target/bench/ingest-it"));
        JsonObject r = new IngestRun(dir, new IngestRun.Settings(200, 1000, 5, 10, "256m", false, true, false,
                List.of())).run();
        Files.writeString(Path.of("target/bench/ingest-it.json"), r.encodePrettily());

        assertThat(r.getInteger("aliveShown")).as(r.encodePrettily()).isEqualTo(200);
        assertThat(r.getJsonObject("sendToVisibleMillis").getInteger("samples")).isGreaterThan(5);
        assertThat(r.getJsonObject("sendToVisibleMillis").getLong("max")).as("probe timed out").isLessThan(30_000);
        assertThat(r.getDouble("coordinatorCpu")).isPositive();
        assertThat(r.getDouble("bareCpu")).isNotNegative();
        assertThat(r.getDouble("cpuRatio")).isPositive().isFinite();
        assertThat(r.getInteger("stallAliveAfter30s")).as(r.encodePrettily()).isEqualTo(200);
        // the tail's attribution reads the JVM's real safepoint log: at least the bench's own full GCs are in it
        assertThat(PauseLog.read(dir.resolve("safepoints.log"))).as("safepoints parsed").isNotEmpty();
        assertThat(r.getJsonObject("tail").getInteger("slowSamples")).isNotNegative();
        assertThat(r.getJsonObject("tick").getLong("ticks")).as("the tick's timer is read").isPositive();
    }
}
