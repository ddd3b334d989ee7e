package dev.drover.coordinator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.tractor.BladeList;
import dev.drover.coordinator.tractor.FakeTractorEngine;
import dev.drover.coordinator.tractor.TractorBlades;
import dev.drover.coordinator.tractor.TractorClient;
import dev.drover.coordinator.tractor.TractorQueueSource;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What Drover costs the Tractor engine, and itself, as the queue grows (issue 13: about one request a second in
 * steady state whatever the queue size; correct at 1,000,000 queued tasks). For 1k, 100k and 1M ready tasks (jobs
 * of 100 tasks) and 50 blades of which 20 are Drover's, the real queue source and blade list poll the fake engine
 * at the production settings (1 s queue poll, 10 s blade list) for a measured window. Reported: engine requests
 * per second (counted by the engine), CPU of the coordinator side (its own single event-loop thread, apart from the
 * engine's), and whether the queue stayed known with the right total. Results: target/bench/tractor-engine-load.json.
 * Run: {@code ./mvnw -B -pl coordinator -am verify -DskipUTs -Dit.test='TractorEngineLoadBench'
 * -Dfailsafe.failIfNoSpecifiedTests=false}
 */
class TractorEngineLoadBench {
    static final Duration WARM_UP = Duration.ofSeconds(4);
    static final Duration WINDOW = Duration.ofSeconds(30);

    @Test
    void engineRequestsAndCoordinatorCpuByQueueSize() throws Exception {
        JsonArray rows = new JsonArray();
        for (int tasks : new int[] {1_000, 100_000, 1_000_000}) {
            rows.add(run(tasks));
        }
        JsonObject result = new JsonObject().put("windowSeconds", WINDOW.toSeconds()).put("runs", rows);
        Path out = Path.of("target", "bench", "tractor-engine-load.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, result.encodePrettily());
        System.out.println("tractor engine load: " + result.encode());
        for (Object r : rows) {
            assertThat(((JsonObject) r).getBoolean("queueKnown")).isTrue();
        }
    }

    private JsonObject run(int tasks) throws Exception {
        Vertx engineVertx = Vertx.vertx();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        try {
            FakeTractorEngine engine = new FakeTractorEngine(engineVertx);
            int port = engine.listen(0).await();
            for (int j = 0; j < tasks / 100; j++) {
                engine.addBulkReady(1000 + j, j % 3 == 0 ? "PixarRender" : "Blender", 100);
            }
            TestFleet fleet = new TestFleet();
            long now = System.currentTimeMillis() / 1000;
            for (int b = 0; b < 50; b++) {
                String name = b < 20 ? String.format("render%06d", b) : "onprem-" + b;
                engine.addBlade(b < 20 ? name + ".internal.cloudapp.net" : name, "10.2." + b / 250 + "." + b % 250, now);
                if (b < 20) {
                    fleet.enrol(name, "spot", 1);
                }
            }
            TractorClient client = new TractorClient(WebClient.create(vertx), "127.0.0.1", port, "drover", 10_000);
            BladeList list = new BladeList(client, Clock.systemUTC());
            TractorBlades blades = new TractorBlades(vertx, client, list, fleet.registry, Clock.systemUTC(), 10_000);
            TractorQueueSource source = new TractorQueueSource(vertx, client, 1000, Map.of(), 60_000, blades, list,
                    fleet.registry::snapshot, 10_000);
            long loopThread = loopThreadId(vertx);
            vertx.runOnContext(v -> {
                blades.start();
                source.start();
            });
            Thread.sleep(WARM_UP.toMillis());
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long requests0 = engine.totalRequests();
            long cpu0 = mx.getThreadCpuTime(loopThread);
            long t0 = System.nanoTime();
            Thread.sleep(WINDOW.toMillis());
            long elapsed = System.nanoTime() - t0;
            double cpuPercent = 100.0 * (mx.getThreadCpuTime(loopThread) - cpu0) / elapsed;
            double perSecond = (engine.totalRequests() - requests0) * 1e9 / elapsed;
            source.stop();
            blades.stop();
            long total = source.view().counts().values().stream().mapToLong(c -> c.ready()).sum();
            return new JsonObject().put("queuedTasks", tasks).put("jobs", tasks / 100)
                    .put("engineRequestsPerSecond", Math.round(perSecond * 100) / 100.0)
                    .put("coordinatorCpuPercentOfACore", Math.round(cpuPercent * 100) / 100.0)
                    .put("queueKnown", source.view().known() && total == tasks)
                    .put("requestsByQuery", new JsonObject(new java.util.HashMap<String, Object>(engine.requests())));
        } finally {
            vertx.close().await();
            engineVertx.close().await();
        }
    }

    private static long loopThreadId(Vertx vertx) throws Exception {
        CompletableFuture<Long> id = new CompletableFuture<>();
        vertx.runOnContext(v -> id.complete(Thread.currentThread().getId()));
        return id.get();
    }
}
