package dev.drover.coordinator.tractor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.queue.QueueView;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.scaling.ScalingDecision;
import dev.drover.coordinator.scaling.ScalingPolicy;
import dev.drover.coordinator.scaling.ScalingSnapshot;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Demand from the engine: ready tasks the pools can run (by service-key expression) plus tasks active on Drover's
 * own live blades — never those on on-prem blades of the same key, nor on the blades of evicting or gone nodes.
 */
class TractorDemandIT {
    private final Vertx vertx = Vertx.vertx();
    private final TestFleet fleet = new TestFleet();
    private final PoolSpec spot = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 50, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final PoolSpec gpu = new PoolSpec("gpu", "NC6", "", false, 1, Set.of("PixarRender", "linux", "gpu"), 0,
            50, 1.0, Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private TractorQueueSource source;

    @AfterEach
    void stop() {
        if (source != null) {
            source.stop();
        }
        vertx.close().await();
    }

    @Test
    void onPremAndDeadBladesDoNotMakeDemandAndKeyExpressionsFindTheirPool() {
        FakeTractorEngine engine = new FakeTractorEngine(vertx);
        int port = engine.listen(0).await();
        long now = System.currentTimeMillis() / 1000;
        for (int b = 1; b <= 3; b++) {
            engine.addBlade("onprem-0" + b, "192.168.1.1" + b, now);
        }
        engine.addBlade("render000004.internal.cloudapp.net", "10.1.0.4", now);
        engine.addBlade("RENDER000005", "10.1.0.5", now);
        for (int t = 1; t <= 7; t++) {
            engine.addTask(1, t, "Blender", "ready");
        }
        engine.dispatch(1, 1, "onprem-01");
        engine.dispatch(1, 2, "onprem-02");
        engine.dispatch(1, 3, "onprem-03");
        engine.dispatch(1, 4, "render000004.internal.cloudapp.net");
        engine.dispatch(1, 5, "RENDER000005");
        engine.addBulkReady(2, "PixarRender && (linux || mac) && !windows", 4);
        engine.addBulkReady(3, "PixarRender && windows", 6);
        engine.addBulkReady(4, "PixarRender &&", 9); // does not parse: no pool serves it
        fleet.enrol("render000004", "spot", 1);
        fleet.enrol("render000005", "spot", 1);
        fleet.registry.mark("render000005", NodeState.EVICTING, "Preempt notice");

        TractorClient client = new TractorClient(WebClient.create(vertx), "127.0.0.1", port, "drover", 5000);
        BladeList list = new BladeList(client, Clock.systemUTC());
        TractorBlades blades = new TractorBlades(vertx, client, list, fleet.registry, Clock.systemUTC(), 1000);
        source = new TractorQueueSource(vertx, client, 200, Map.of(), 60_000, blades, list, fleet.registry::snapshot,
                1000);
        source.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> source.view().known()
                && source.view().ownActiveByPool() != null && !source.view().ownActiveByPool().isEmpty());

        QueueView q = source.view();
        assertThat(q.counts().get("blender")).isEqualTo(new QueueView.Counts(2, 5));
        assertThat(q.ownActiveByPool()).as("only the live Drover node's task; not on-prem, not the evicting node")
                .isEqualTo(Map.of("spot", 1));

        Map<String, Integer> demand = new HashMap<>();
        q.counts().forEach((k, c) -> demand.put(k, c.ready()));
        ScalingDecision d = ScalingPolicy.decide(new ScalingSnapshot(fleet.clock.instant(), true, demand, Map.of(),
                List.of(spot, gpu), List.of(), Map.of(), Set.of(), Double.POSITIVE_INFINITY, q.ownActiveByPool()));
        assertThat(d.pools()).filteredOn(p -> p.pool().equals("spot")).singleElement()
                .satisfies(p -> assertThat(p.demandNodes()).as("2 ready + 1 on its own blade").isEqualTo(3));
        assertThat(d.pools()).filteredOn(p -> p.pool().equals("gpu")).singleElement()
                .satisfies(p -> assertThat(p.demandNodes()).as("only the expression gpu can satisfy").isEqualTo(4));
    }
}
