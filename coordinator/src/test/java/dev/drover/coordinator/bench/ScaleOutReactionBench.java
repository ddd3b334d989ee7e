package dev.drover.coordinator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.Coordinator;
import dev.drover.coordinator.azure.ArmClient;
import dev.drover.coordinator.azure.ArmScaleSet;
import dev.drover.coordinator.azure.FakeArm;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.tractor.FakeTractorEngine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How long from new work in Tractor's queue to the scale-set call that adds capacity (issue 5: "react to a
 * queue change within 2 s"). Each trial adds ready tasks to the fake engine and times until the fake ARM
 * receives the PATCH of sku.capacity. Run with the production poll interval (1 s) and, as the in-run
 * baseline, with a 100 ms poll: the ratio shows how much of the reaction is the poll itself.
 * Results: target/bench/scale-out-reaction.json. Run:
 * {@code ./mvnw -B -pl coordinator -am verify -DskipUTs -Dit.test='*Bench' -Dfailsafe.failIfNoSpecifiedTests=false}
 */
class ScaleOutReactionBench {
    static final int TRIALS = 20;

    @Test
    void queueChangeToScaleOutCall() throws Exception {
        List<Long> production = trials(1000);
        List<Long> fastPoll = trials(100);
        JsonObject result = new JsonObject()
                .put("trials", TRIALS)
                .put("poll1000ms", BenchStats.stats(production))
                .put("poll100ms", BenchStats.stats(fastPoll))
                .put("ratioP50", (double) BenchStats.percentile(production, 50) / Math.max(1, BenchStats.percentile(fastPoll, 50)));
        Path out = Path.of("target", "bench", "scale-out-reaction.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, result.encodePrettily());
        System.out.println("scale-out reaction: " + result.encode());
        assertThat(production).hasSize(TRIALS);
    }

    private List<Long> trials(int pollMillis) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            FakeTractorEngine engine = new FakeTractorEngine(vertx);
            int enginePort = engine.listen(0).await();
            FakeArm arm = new FakeArm(vertx, "00000000-0000-0000-0000-00000000be00", "rg", "vmss", "bench",
                    Duration.ofMillis(50), new FakeArm.Hooks() {
                        @Override
                        public void created(String instanceId, String computerName) {
                        }

                        @Override
                        public void deleted(String instanceId, String computerName, boolean evicted) {
                        }
                    });
            String endpoint = arm.listen().await();
            CoordinatorConfig config = new CoordinatorConfig(
                    new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null, null),
                    new CoordinatorConfig.Http("127.0.0.1", 0), null,
                    new CoordinatorConfig.Enrolment(List.of("bench-token-0123456789"), null),
                    new CoordinatorConfig.Tractor("127.0.0.1", enginePort, "drover", pollMillis, 2000),
                    List.of(new CoordinatorConfig.Pool("spot", "Standard_D4s_v5", "", "spot", 1, List.of("blender"), 0,
                            1000, 0.1, null, null, 300, 10, new CoordinatorConfig.ScaleSet("azure",
                                    "00000000-0000-0000-0000-00000000be00", "rg", "vmss", "uniform"))),
                    Map.of(), null, null, new CoordinatorConfig.Azure(endpoint, null, 10_000));
            Coordinator coordinator = new Coordinator(config, Clock.systemUTC(), (pool, vx, gw) -> new ArmScaleSet(
                    new ArmClient(vx, config.azure(), () -> Future.succeededFuture("bench")), pool.scaleSet()))
                    .start().await();
            List<Long> millis = new ArrayList<>();
            try {
                Thread.sleep(2500); // first instance list done, queue known
                int tid = 0;
                for (int trial = 0; trial < TRIALS; trial++) {
                    long patches = patches(arm);
                    long started = System.nanoTime();
                    for (int i = 0; i < 4; i++) {
                        engine.addTask(1, ++tid, "blender", "ready");
                    }
                    while (patches(arm) == patches) {
                        Thread.sleep(2);
                        if (System.nanoTime() - started > 10_000_000_000L) {
                            throw new IllegalStateException("no scale-out within 10 s (trial " + trial + ")");
                        }
                    }
                    millis.add((System.nanoTime() - started) / 1_000_000);
                    Thread.sleep(1500 + (trial * 137) % 1000); // desynchronise from the poll and tick phases
                }
            } finally {
                coordinator.stop().await();
            }
            return millis;
        } finally {
            vertx.close().await();
        }
    }

    private static long patches(FakeArm arm) {
        return arm.calls().stream().filter(c -> c.startsWith("PATCH")).count();
    }
}
