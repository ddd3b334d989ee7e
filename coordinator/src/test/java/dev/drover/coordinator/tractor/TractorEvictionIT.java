package dev.drover.coordinator.tractor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.provision.OfferingHealth;
import dev.drover.coordinator.provision.Provisioning;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.HostNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Eviction and gone-node handling against the fake engine while it refuses, answers garbage, is down or hangs:
 * NIMBY, ejectall and delist each reach the engine once it is back — exactly once each — for blades registered
 * under FQDNs and other cases, and the tasks stranded on the dead blades are back in the queue.
 */
class TractorEvictionIT {
    private static final String FQDN = "render000004.internal.cloudapp.net";
    private static final String UPPER = "RENDER000005";
    private final Vertx vertx = Vertx.vertx();
    private final TestFleet fleet = new TestFleet();
    private final PoolSpec pool = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private FakeTractorEngine engine;
    private TractorBlades blades;

    /** How the engine misbehaves while the eviction happens. */
    enum Fault { REFUSING, GARBAGE, DOWN, HANGING }

    @BeforeEach
    void start() {
        engine = new FakeTractorEngine(vertx);
        int port = engine.listen(0).await();
        TractorClient client = new TractorClient(WebClient.create(vertx), "127.0.0.1", port, "drover", 3000);
        blades = new TractorBlades(vertx, client, new BladeList(client, Clock.systemUTC()), fleet.registry,
                Clock.systemUTC(), 2000);
        blades.start();
        Provisioning provisioning = new Provisioning(List.of(pool), Map.of(), fleet.registry, blades,
                new Timeline(fleet.clock, new SimpleMeterRegistry()), new OfferingHealth(Duration.ofMinutes(3), 3,
                        Duration.ofMinutes(10)), fleet.clock);
        fleet.registry.addListener(provisioning);
        long now = System.currentTimeMillis() / 1000;
        engine.addBlade(FQDN, "10.1.0.4", now);
        engine.addBlade(UPPER, "10.1.0.5", now);
        engine.addBlade("render000006", "10.1.0.6", now);
        engine.addBlade("onprem-01", "192.168.1.10", now);
        for (int t = 1; t <= 4; t++) {
            engine.addTask(1, t, "blender", "ready");
        }
        engine.dispatch(1, 1, FQDN);
        engine.dispatch(1, 2, UPPER);
        engine.dispatch(1, 3, "render000006");
        engine.dispatch(1, 4, "onprem-01");
        fleet.enrol("render000004", "spot", 1);
        fleet.enrol("render000005", "spot", 1);
        fleet.enrol("render000006", "spot", 1);
    }

    @AfterEach
    void stop() {
        blades.stop();
        vertx.close().await();
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void evictingAndGoneBladesAreNimbiedEjectedAndDelistedOnceTheEngineIsBack(Fault fault) throws Exception {
        switch (fault) {
            case REFUSING -> engine.refuseControl(true);
            case GARBAGE -> engine.garbageNext(1_000_000);
            case DOWN -> engine.down().await();
            case HANGING -> engine.hang(true);
        }
        fleet.registry.mark("render000004", NodeState.EVICTING, "Preempt notice");
        fleet.registry.mark("render000005", NodeState.GONE, "instance no longer in the scale set");
        goneAsThePoolActuatorHandlesIt("render000005");
        Thread.sleep(3000); // several attempts fail meanwhile
        assertThat(engine.controlCalls()).isEmpty();
        assertThat(blades.outstanding()).anyMatch(s -> s.startsWith("render000004: NIMBY"));

        switch (fault) {
            case REFUSING -> engine.refuseControl(false);
            case GARBAGE -> engine.garbageNext(0);
            case DOWN -> engine.up().await();
            case HANGING -> engine.hang(false);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> engine.controlCalls().containsAll(List.of(
                "nimby " + FQDN + " 1", "ejectall " + FQDN, "nimby " + UPPER + " 1", "ejectall " + UPPER,
                "delist " + UPPER)));
        Thread.sleep(2500); // nothing is sent twice once confirmed
        List<String> calls = engine.controlCalls();
        for (String call : List.of("nimby " + FQDN + " 1", "ejectall " + FQDN, "nimby " + UPPER + " 1",
                "ejectall " + UPPER, "delist " + UPPER)) {
            assertThat(Collections.frequency(calls, call)).as(call).isEqualTo(1);
        }
        assertThat(calls).hasSize(5).as("the evicting blade is not delisted while it may still be heartbeating")
                .doesNotContain("delist " + FQDN);
        assertThat(calls.indexOf("nimby " + FQDN + " 1")).isLessThan(calls.indexOf("ejectall " + FQDN));
        assertThat(calls.indexOf("ejectall " + UPPER)).isLessThan(calls.indexOf("delist " + UPPER));
        assertThat(engine.taskState(1, 1)).isEqualTo("ready");
        assertThat(engine.taskState(1, 2)).isEqualTo("ready");
        assertThat(engine.taskState(1, 3)).as("other blades untouched").isEqualTo("active");
        assertThat(engine.taskState(1, 4)).isEqualTo("active");
        assertThat(blades.outstanding()).isEmpty();
    }

    @Test
    void aPreemptEjectsTheRightBladeOnly() {
        fleet.registry.mark("render000005", NodeState.EVICTING, "Preempt notice");
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.controlCalls().contains("ejectall " + UPPER));
        assertThat(engine.controlCalls()).containsExactly("nimby " + UPPER + " 1", "ejectall " + UPPER);
        assertThat(engine.taskState(1, 2)).isEqualTo("ready");
        assertThat(engine.activeOn(FQDN) + engine.activeOn("render000006") + engine.activeOn("onprem-01"))
                .isEqualTo(3);
    }

    @Test
    void aLostNodesTasksAreEjectedEvenWhenTheFirstTriesFail() {
        engine.failNext(3);
        fleet.registry.mark("render000006", NodeState.SUSPECT, "3 heartbeats missed");
        fleet.registry.mark("render000006", NodeState.LOST, "silent for 60 s");
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.controlCalls().contains("ejectall render000006"));
        assertThat(engine.taskState(1, 3)).isEqualTo("ready");
    }

    @Test
    void aBladeRegisteredUnderAnAliasTheAgentStatedIsEjected() {
        // cloud-init named the machine rndr-a7; its blade registered under that, which only the agent can tell
        String alias = "RNDR-A7.studio.lan";
        engine.addBlade(alias, "10.20.0.7", System.currentTimeMillis() / 1000);
        engine.addTask(2, 1, "blender", "ready");
        engine.dispatch(2, 1, alias);
        fleet.enrol("render000007", "spot", 1);
        fleet.registry.heartbeat(fleet.registry.find("render000007").orElseThrow(), new Heartbeat(0, AgentState.BUSY,
                1, HostMetrics.UNKNOWN, List.of(), false, 0).withHostNames(new HostNames(List.of("rndr-a7",
                        "rndr-a7.studio.lan"), List.of("10.20.0.7"))));

        fleet.registry.mark("render000007", NodeState.EVICTING, "Preempt notice");

        await().atMost(Duration.ofSeconds(30)).until(() -> engine.controlCalls().contains("ejectall " + alias));
        assertThat(engine.controlCalls()).containsExactly("nimby " + alias + " 1", "ejectall " + alias);
        assertThat(engine.taskState(2, 1)).isEqualTo("ready");
    }

    @Test
    void aBladeThatRegistersJustAfterItsNodesEvictionIsStillNimbiedAndEjected() throws Exception {
        // a Spot VM preempted moments after boot: its agent is in, its blade not yet known to the engine
        fleet.enrol("render000008", "spot", 1);
        fleet.registry.mark("render000008", NodeState.EVICTING, "Preempt notice");
        Thread.sleep(1500); // tries meanwhile find no blade: nothing may count as done
        assertThat(blades.outstanding()).anyMatch(s -> s.startsWith("render000008: NIMBY"))
                .anyMatch(s -> s.startsWith("render000008: EJECT"));

        engine.addBlade("render000008", "10.1.0.8", System.currentTimeMillis() / 1000); // ...and takes a task
        engine.addTask(3, 1, "blender", "ready");
        engine.dispatch(3, 1, "render000008");

        await().atMost(Duration.ofSeconds(60)).until(() -> engine.controlCalls().contains("ejectall render000008"));
        assertThat(engine.controlCalls()).containsExactly("nimby render000008 1", "ejectall render000008");
        assertThat(engine.taskState(3, 1)).isEqualTo("ready");
    }

    @Test
    void aGoneNodeWhoseBladeNeverRegisteredHasNothingLeftToDo() throws Exception {
        fleet.enrol("render000009", "spot", 1);
        fleet.registry.mark("render000009", NodeState.EVICTING, "Preempt notice");
        Thread.sleep(1500);
        assertThat(blades.outstanding()).anyMatch(s -> s.startsWith("render000009: NIMBY"));

        fleet.registry.mark("render000009", NodeState.GONE, "instance no longer in the scale set");
        goneAsThePoolActuatorHandlesIt("render000009");

        await().atMost(Duration.ofSeconds(60)).until(() -> blades.outstanding().isEmpty());
        assertThat(engine.controlCalls()).as("no blade of it was ever listed").isEmpty();
    }

    @Test
    void triesForABladeThatNeverRegistersReadNoExtraBladeLists() throws Exception {
        // a lost node whose blade never came up (a broken image): its NIMBY and eject stay pending, tried again and
        // again from the lists read anyway — not one engine-wide blade list per try
        fleet.enrol("render000010", "spot", 1);
        fleet.registry.mark("render000010", NodeState.SUSPECT, "3 heartbeats missed");
        long before = engine.requests().getOrDefault("monitor?blades", 0L);
        fleet.registry.mark("render000010", NodeState.LOST, "silent for 60 s");
        Thread.sleep(8000); // NIMBY and eject tried about five times each
        long reads = engine.requests().getOrDefault("monitor?blades", 0L) - before;
        assertThat(blades.outstanding()).anyMatch(s -> s.startsWith("render000010: NIMBY ("))
                .anyMatch(s -> s.startsWith("render000010: EJECT"));
        assertThat(reads).as("at most one list per 2 s (the lists' max age here)").isLessThanOrEqualTo(5);
        assertThat(engine.controlCalls()).isEmpty();
    }

    @Test
    void aGoneNodeMissingFromATruncatedBladeListStillHasItsBladeDelistedOrLetGo() {
        engine.bladeListLimit(1); // the engine's reply cap: only the first blade is listed
        fleet.enrol("render000011", "spot", 1); // its blade was never registered
        fleet.registry.mark("render000011", NodeState.GONE, "instance no longer in the scale set");
        goneAsThePoolActuatorHandlesIt("render000011");
        fleet.registry.mark("render000006", NodeState.GONE, "instance no longer in the scale set");
        goneAsThePoolActuatorHandlesIt("render000006"); // registered, but not in the truncated list

        await().atMost(Duration.ofSeconds(60)).until(() -> engine.controlCalls().contains("delist render000006"));
        assertThat(engine.controlCalls()).contains("nimby render000006 1", "ejectall render000006");
        await().atMost(Duration.ofSeconds(30)).until(() -> blades.outstanding().isEmpty());
        assertThat(engine.controlCalls()).noneMatch(c -> c.contains("render000011"));
    }

    @Test
    void aCancelledEvictionGivesTheBladeBackItsWorkOnceTheEngineTakesControlCallsAgain() throws Exception {
        fleet.registry.mark("render000005", NodeState.EVICTING, "Preempt notice");
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.controlCalls().contains("ejectall " + UPPER));
        engine.refuseControl(true);
        fleet.registry.mark("render000005", NodeState.READY, "eviction cancelled");
        Thread.sleep(1500);
        assertThat(blades.outstanding()).anyMatch(s -> s.startsWith("render000005: UNNIMBY"));
        assertThat(engine.nimby(UPPER)).isEqualTo("1");

        engine.refuseControl(false);
        await().atMost(Duration.ofSeconds(60)).until(() -> engine.controlCalls().contains("nimby " + UPPER + " 0"));
        assertThat(engine.nimby(UPPER)).as("the blade takes work again").isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> blades.outstanding().isEmpty());
    }

    /** What PoolActuator.gone asks of the blade control. */
    private void goneAsThePoolActuatorHandlesIt(String nodeId) {
        blades.nimby(nodeId, true);
        blades.ejectAll(nodeId).onComplete(r -> blades.delist(nodeId));
    }
}
