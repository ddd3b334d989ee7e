package dev.drover.coordinator.tractor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.provision.Instance;
import dev.drover.coordinator.provision.OfferingHealth;
import dev.drover.coordinator.provision.PoolActuator;
import dev.drover.coordinator.provision.ScaleSet;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A drained node's VM is deleted only when the engine shows its blade idle — found under an FQDN and another
 * case — and never while the engine may show work on it under a name Drover cannot place; the node's reason
 * says why it is kept.
 */
class TractorDrainIT {
    private final Vertx vertx = Vertx.vertx();
    private final TestFleet fleet = new TestFleet();
    private final PoolSpec pool = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final List<Instance> instances = new CopyOnWriteArrayList<>(List.of(
            new Instance("4", "render000004", "running", "succeeded"),
            new Instance("9", "render000009", "running", "succeeded")));
    private final List<String> deleted = new CopyOnWriteArrayList<>();
    private FakeTractorEngine engine;
    private TractorBlades blades;
    private PoolActuator actuator;

    @BeforeEach
    void start() {
        engine = new FakeTractorEngine(vertx);
        int port = engine.listen(0).await();
        TractorClient client = new TractorClient(WebClient.create(vertx), "127.0.0.1", port, "drover", 5000);
        blades = new TractorBlades(vertx, client, new BladeList(client, Clock.systemUTC()), fleet.registry,
                Clock.systemUTC(), 500);
        blades.start();
        ScaleSet set = new ScaleSet() {
            @Override
            public String describe() {
                return "memory";
            }

            @Override
            public Future<List<Instance>> instances() {
                return Future.succeededFuture(List.copyOf(instances));
            }

            @Override
            public Future<Void> setCapacity(int capacity) {
                return Future.succeededFuture();
            }

            @Override
            public Future<Void> delete(List<String> ids) {
                deleted.addAll(ids);
                instances.removeIf(i -> ids.contains(i.instanceId()));
                return Future.succeededFuture();
            }
        };
        actuator = new PoolActuator(pool, set, fleet.registry, blades, new Timeline(fleet.clock,
                new SimpleMeterRegistry()), new OfferingHealth(Duration.ofMinutes(3), 3, Duration.ofMinutes(10)),
                fleet.clock, new PoolActuator.Settings(Duration.ofSeconds(10), Duration.ofMinutes(10),
                        Duration.ofMinutes(5)));
        long now = System.currentTimeMillis() / 1000;
        engine.addBlade("RENDER000004.internal.cloudapp.net", "10.1.0.4", now);
        engine.addBlade("onprem-01", "192.168.1.10", now);
        engine.addTask(1, 1, "blender", "ready");
        engine.addTask(1, 2, "blender", "ready");
        engine.dispatch(1, 1, "RENDER000004.internal.cloudapp.net"); // handed out just before NIMBY
        engine.dispatch(1, 2, "onprem-01");
        fleet.enrol("render000004", "spot", 1);
        fleet.enrol("render000009", "spot", 1);
    }

    @AfterEach
    void stop() {
        blades.stop();
        vertx.close().await();
    }

    @Test
    void anOperatorDrainNeverDeletesAVmWhoseFqdnBladeHasAnActiveTask() throws Exception {
        actuator.drain("render000004", 0, "operator ops");
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.controlCalls()
                .contains("nimby RENDER000004.internal.cloudapp.net 1"));
        fleet.reliable("render000004", new DrainState(fleet.nextSeq(), DrainPhase.DRAINED, 0));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            actuator.tick(null, "test");
            return reason("render000004").contains("still shows 1 task(s)");
        });
        tickFor(Duration.ofSeconds(2));
        assertThat(deleted).isEmpty();

        engine.complete(1, 1);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            actuator.tick(null, "test");
            return deleted.contains("4");
        });
        assertThat(fleet.state("render000004")).isEqualTo(NodeState.DELETED);
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.controlCalls()
                .contains("delist RENDER000004.internal.cloudapp.net"));
    }

    @Test
    void aNodeWhoseBladeCannotBeFoundIsKeptWhileUnplacedBladesAreBusyAndSaysSo() throws Exception {
        actuator.drain("render000009", 0, "scale-in");
        fleet.reliable("render000009", new DrainState(fleet.nextSeq(), DrainPhase.DRAINED, 0));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            actuator.tick(null, "test");
            return reason("render000009").contains("not found in the engine's blade list");
        });
        tickFor(Duration.ofSeconds(2));
        assertThat(deleted).isEmpty();
        assertThat(reason("render000009")).contains("onprem-01")
                .contains("not deleting while the engine may show work on it");

        engine.complete(1, 2); // nothing busy that Drover cannot place: the node cannot have work
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            actuator.tick(null, "test");
            return deleted.contains("9");
        });
    }

    @Test
    void aDrainedNodeIsNotFoundIdleBeforeTheEngineConfirmsItsNimby() throws Exception {
        String blade = "RENDER000004.internal.cloudapp.net";
        engine.complete(1, 1); // the blade is idle...
        engine.refuseControl(true); // ...and the engine refuses the NIMBY for now
        actuator.drain("render000004", 0, "scale-in");
        fleet.reliable("render000004", new DrainState(fleet.nextSeq(), DrainPhase.DRAINED, 0));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            actuator.tick(null, "test");
            return reason("render000004").contains("has not confirmed the NIMBY");
        });
        engine.addTask(1, 3, "blender", "ready");
        engine.dispatch(1, 3, blade); // not NIMBY'd: the blade takes work after its agent drained
        tickFor(Duration.ofSeconds(2));
        assertThat(deleted).isEmpty();

        engine.refuseControl(false);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            actuator.tick(null, "test");
            return reason("render000004").contains("still shows 1 task(s)");
        });
        assertThat(engine.controlCalls()).contains("nimby " + blade + " 1");
        assertThat(deleted).isEmpty();
        engine.complete(1, 3);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            actuator.tick(null, "test");
            return deleted.contains("4");
        });
    }

    private String reason(String nodeId) {
        return fleet.registry.find(nodeId).orElseThrow().snapshot().stateReason();
    }

    private void tickFor(Duration d) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            actuator.tick(null, "test");
            Thread.sleep(100);
        }
    }
}
