package dev.drover.coordinator.tractor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.LivenessSettings;
import dev.drover.coordinator.fleet.Node;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.store.FleetStore;
import dev.drover.coordinator.store.StateStore;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Welcome;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host names and addresses an agent states (Heartbeat extension 1) outlive a coordinator restart: before the
 * node's first heartbeat to the new coordinator its Tractor blade is still found by them, not by the node id.
 */
class HostNamesRestartTest {
    private static final LivenessSettings LIVENESS = new LivenessSettings(Duration.ofSeconds(5), 20, 3,
            Duration.ofMinutes(10));
    private static final HostNames NAMES = new HostNames(List.of("rndr-a7", "rndr-a7.studio.lan"),
            List.of("10.20.0.4"));
    private static final HostNames RENAMED = new HostNames(List.of("rndr-b9"), List.of("10.20.0.9"));
    /** Registered under a host name the node id does not contain, and an address it does not connect from. */
    private static final BladeInfo BLADE = new BladeInfo("rndr-b9", "10.20.0.9", 1, "");

    @TempDir
    Path dir;

    /** One coordinator life on the shared database file: the registry restored from the store. */
    private NodeRegistry life(StateStore store) {
        NodeRegistry registry = new NodeRegistry(Clock.systemUTC(), LIVENESS, 100, Runnable::run);
        FleetStore fleet = new FleetStore(store, false);
        registry.setJournal(fleet);
        registry.restore(fleet.loadNodes());
        return registry;
    }

    private static Node connect(NodeRegistry registry, String nodeId) {
        registry.enrol(new Hello(1, 1, "test", NodeIdentity.local(nodeId, "p"), 1, 0, "t", "", 0), 1,
                new TestFleet.Link(), b -> new Welcome(1, b.sessionId(), nodeId, b.resumed(), 0, 5000, 20, 65536, 0));
        return registry.find(nodeId).orElseThrow();
    }

    private static Heartbeat beat(HostNames names) {
        return new Heartbeat(System.currentTimeMillis(), AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(), false, 0)
                .withHostNames(names);
    }

    @Test
    void bladeIsFoundByTheStatedHostNamesAfterARestartBeforeTheFirstHeartbeat() {
        String db = dir.resolve("coordinator.db").toString();
        // given: the agent stated its names, then others (a rename), then heartbeats without any
        try (StateStore store = StateStore.open(db, "NORMAL")) {
            NodeRegistry registry = life(store);
            Node node = connect(registry, "node-7");
            registry.heartbeat(node, beat(NAMES));
            registry.heartbeat(node, beat(RENAMED));
            registry.heartbeat(node, beat(HostNames.NONE));
            assertThat(node.snapshot().hostNames()).isEqualTo(RENAMED);
        }
        // when: the coordinator restarts and the agent has not sent a heartbeat yet
        try (StateStore store = StateStore.open(db, "NORMAL")) {
            NodeRegistry registry = life(store);
            var snapshot = registry.find("node-7").orElseThrow().snapshot();
            assertThat(snapshot.lastHeartbeat()).isNull();
            // then: the names are known, and the blade is matched by them, not by the node id
            assertThat(snapshot.hostNames()).isEqualTo(RENAMED);
            TractorBlades blades = new TractorBlades(null, null, null, registry, Clock.systemUTC(), 0);
            assertThat(BladeNames.find(List.of(BLADE), blades.names("node-7"))).containsExactly(BLADE);
            // and a heartbeat without names keeps them (the agent states them only when they change)
            Node node = connect(registry, "node-7");
            registry.heartbeat(node, beat(HostNames.NONE));
            assertThat(node.snapshot().lastHeartbeat().hostNames()).isEqualTo(RENAMED);
        }
    }

    @Test
    void aForgottenNodeTakesItsHostNamesWithIt() {
        String db = dir.resolve("coordinator.db").toString();
        try (StateStore store = StateStore.open(db, "NORMAL")) {
            NodeRegistry registry = life(store);
            registry.heartbeat(connect(registry, "node-8"), beat(NAMES));
            new FleetStore(store, false).forget("node-8");
            // a heartbeat racing the forget writes nothing for a node the store no longer has
            new FleetStore(store, false).hostNames("node-8", RENAMED);
        }
        try (StateStore store = StateStore.open(db, "NORMAL")) {
            assertThat(life(store).find("node-8")).isEmpty();
            int kept = store.read(c -> {
                try (var r = c.createStatement().executeQuery("SELECT count(*) FROM node_host_names")) {
                    return r.getInt(1);
                }
            });
            assertThat(kept).isZero();
        }
    }
}
