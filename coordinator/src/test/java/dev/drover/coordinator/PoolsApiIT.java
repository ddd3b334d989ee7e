package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.tractor.FakeTractorEngine;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The coordinator reading a (fake) Tractor engine's queue and publishing each pool's decision with its reason
 * at {@code GET /api/pools}; a queue change is reflected within 2 s; engine trouble means "queue unknown".
 */
@ExtendWith(VertxExtension.class)
class PoolsApiIT {
    private Coordinator coordinator;

    @AfterEach
    void stop() {
        if (coordinator != null) {
            coordinator.stop().await();
        }
    }

    @Test
    void poolDecisionsFollowTheTractorQueue(Vertx vertx) throws Exception {
        FakeTractorEngine engine = new FakeTractorEngine(vertx);
        int enginePort = engine.listen(0).await();
        CoordinatorConfig config = new CoordinatorConfig(
                new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null, null),
                new CoordinatorConfig.Http("127.0.0.1", 0), null,
                new CoordinatorConfig.Enrolment(List.of("pools-it-token-0123456789"), null),
                new CoordinatorConfig.Tractor("127.0.0.1", enginePort, "drover", 200, 1000),
                List.of(new CoordinatorConfig.Pool("spot", "Standard_D16s_v5", "1", "spot", 2, List.of("Blender"), 0, 10,
                        0.40, null, "regular", 300, 10),
                        new CoordinatorConfig.Pool("regular", "Standard_D16s_v5", "1", "regular", 2, List.of("blender"), 0,
                                5, 1.00, null, null, 300, 10)),
                Map.of(), null);
        coordinator = new Coordinator(config, Clock.systemUTC()).start().await();
        CoordinatorApi api = new CoordinatorApi(coordinator.httpPort());

        await().atMost(Duration.ofSeconds(30)).until(() -> pools(api).getJsonObject("queue").getBoolean("known"));
        assertThat(pool(api, "spot").getInteger("target")).isZero();

        // 40 ready blender tasks appear
        Instant changed = Instant.now();
        for (int t = 1; t <= 40; t++) {
            engine.addTask(7, t, "blender", "ready");
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> pool(api, "spot").getInteger("target") == 10);
        Duration reaction = Duration.between(changed, Instant.now());
        JsonObject spot = pool(api, "spot");
        assertThat(spot.getInteger("demandNodes")).isEqualTo(20);
        assertThat(spot.getString("reason")).contains("scale out to 10");
        // no scale set configured: the action is shown as planned, not executed; each decision kept with its reason
        JsonObject action = pools(api).getJsonArray("actions").getJsonObject(0);
        assertThat(action.getString("action")).isEqualTo("scaleOut");
        assertThat(action.getInteger("targetNodes")).isEqualTo(10);
        assertThat(action.getBoolean("executed")).isFalse();
        assertThat(spot.getJsonArray("decisions").stream().map(d -> ((JsonObject) d).getString("reason")))
                .anyMatch(r -> r.startsWith("at target 0")).anyMatch(r -> r.startsWith("scale out to 10"));
        assertThat(reaction).isLessThan(Duration.ofSeconds(2));

        // the engine starts failing: hold still, and say why
        engine.failNext(1000);
        await().atMost(Duration.ofSeconds(30)).until(() -> !pools(api).getJsonObject("queue").getBoolean("known"));
        await().atMost(Duration.ofSeconds(30)).until(() -> pool(api, "spot").getString("reason")
                .startsWith("queue unknown"));
        engine.failNext(0);
    }

    /** Demand never exceeds what Tractor's licence limit lets run: 40 ready tasks, SiteMax 6 → 6 slots → 3 nodes. */
    @Test
    void tractorLicenceLimitCapsDemand(Vertx vertx) throws Exception {
        FakeTractorEngine engine = new FakeTractorEngine(vertx);
        int enginePort = engine.listen(0).await();
        engine.limit("blender_lic", 6);
        engine.limit("other", 100);
        for (int t = 1; t <= 40; t++) {
            engine.addTask(8, t, "blender", "ready");
        }
        CoordinatorConfig config = new CoordinatorConfig(
                new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null, null),
                new CoordinatorConfig.Http("127.0.0.1", 0), null,
                new CoordinatorConfig.Enrolment(List.of("pools-it-token-0123456789"), null),
                new CoordinatorConfig.Tractor("127.0.0.1", enginePort, "drover", 200, 1000,
                        Map.of("Blender", "blender_lic"), 5),
                List.of(new CoordinatorConfig.Pool("spot", "Standard_D16s_v5", "1", "spot", 2, List.of("blender"), 0,
                        10, 0.40, null, null, 300, 10)),
                Map.of(), null);
        coordinator = new Coordinator(config, Clock.systemUTC()).start().await();
        CoordinatorApi api = new CoordinatorApi(coordinator.httpPort());
        await().atMost(Duration.ofSeconds(30)).until(() -> pool(api, "spot").getInteger("target") == 3);
        assertThat(pool(api, "spot").getInteger("demandNodes")).isEqualTo(3);
    }

    private static JsonObject pools(CoordinatorApi api) throws Exception {
        return new JsonObject(api.get("/api/pools").body());
    }

    private static JsonObject pool(CoordinatorApi api, String name) throws Exception {
        return pools(api).getJsonArray("pools").stream().map(JsonObject.class::cast)
                .filter(p -> p.getString("name").equals(name)).findFirst().orElseThrow();
    }
}
