package dev.drover.coordinator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PauseLogTest {
    @TempDir
    Path dir;

    @Test
    void readsPausesFromTheSafepointLogAndSetsThemAgainstSlowSamples() throws Exception {
        Path log = dir.resolve("safepoints.log");
        Files.writeString(log, String.join("\n",
                "[2026-11-30T14:00:00.100+0000] Safepoint \"G1CollectForAllocation\", Time since last: 5 ns, "
                        + "Reaching safepoint: 100 ns, Cleanup: 10 ns, At safepoint: 1000 ns, Total: 40000000 ns",
                "[2026-11-30T14:00:01.000+0000] Safepoint \"Cleanup\", Time since last: 5 ns, Reaching safepoint: "
                        + "100 ns, At safepoint: 100 ns, Total: 200000 ns",
                "[2026-11-30T14:00:01.001+0000] something else entirely", ""));
        List<PauseLog.Pause> pauses = PauseLog.read(log);
        long t0 = java.time.Instant.parse("2026-11-30T14:00:00.000Z").toEpochMilli();
        assertThat(pauses).containsExactly(new PauseLog.Pause(t0 + 60, t0 + 100, "G1CollectForAllocation"),
                new PauseLog.Pause(t0 + 1000, t0 + 1000, "Cleanup"));

        // one slow sample spans the 40 ms collection, one slow sample spans none, one fast sample is ignored
        JsonObject tail = PauseLog.attribute(List.of(new PauseLog.Sample(t0 + 50, 120),
                new PauseLog.Sample(t0 + 500, 80), new PauseLog.Sample(t0 + 900, 3)), pauses, 50);
        assertThat(tail.getInteger("slowSamples")).isEqualTo(2);
        assertThat(tail.getInteger("slowSamplesOverlappingAPause")).isEqualTo(1);
        assertThat(tail.getLong("pausedMillisInsideSlowSamples")).isEqualTo(40);
        assertThat(tail.getLong("slowSamplesTotalMillis")).isEqualTo(200);
        assertThat(tail.getInteger("pausesInWindow")).as("the 14:00:01 pause comes after the last sample").isEqualTo(1);
        assertThat(tail.getLong("longestPauseMillis")).isEqualTo(40);
        assertThat(tail.getString("longestPauseCause")).isEqualTo("G1CollectForAllocation");
    }
}
