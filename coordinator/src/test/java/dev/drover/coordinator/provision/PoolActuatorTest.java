package dev.drover.coordinator.provision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The actuator against an in-memory scale set that answers at once: what it asks for, and when. */
class PoolActuatorTest {
    private final TestFleet fleet = new TestFleet();
    private final Timeline timeline = new Timeline(fleet.clock, new SimpleMeterRegistry());
    private final PoolSpec pool = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final MemoryScaleSet set = new MemoryScaleSet();
    private final List<String> blades = new ArrayList<>();
    private final java.util.Map<String, Integer> engineActive = new java.util.HashMap<>();
    private final OfferingHealth offerings = new OfferingHealth(Duration.ofMinutes(3), 3, Duration.ofMinutes(10));
    private final PoolActuator actuator = new PoolActuator(pool, set, fleet.registry, new RecordingBlades(),
            timeline, offerings, fleet.clock, new PoolActuator.Settings(Duration.ofSeconds(10), Duration.ofMinutes(10),
                    Duration.ofMinutes(5)));

    /** A scale set that applies every call at once and remembers it. */
    static final class MemoryScaleSet implements ScaleSet {
        final List<Instance> instances = new ArrayList<>();
        final List<String> calls = new ArrayList<>();
        int next;
        int listings;

        @Override
        public String describe() {
            return "memory";
        }

        @Override
        public Future<List<Instance>> instances() {
            listings++;
            return Future.succeededFuture(List.copyOf(instances));
        }

        @Override
        public Future<Void> setCapacity(int capacity) {
            calls.add("capacity " + capacity);
            while (instances.size() < capacity) {
                int id = next++;
                instances.add(new Instance(String.valueOf(id), "node" + id, "running", "succeeded"));
            }
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> delete(List<String> ids) {
            calls.add("delete " + ids);
            instances.removeIf(i -> ids.contains(i.instanceId()));
            return Future.succeededFuture();
        }
    }

    final class RecordingBlades implements BladeControl {
        @Override
        public Future<Void> nimby(String blade, boolean on) {
            blades.add("nimby " + blade);
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> ejectAll(String blade) {
            blades.add("ejectall " + blade);
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> delist(String blade) {
            blades.add("delist " + blade);
            return Future.succeededFuture();
        }

        @Override
        public Future<Integer> activeTasks(String blade) {
            return Future.succeededFuture(engineActive.getOrDefault(blade, 0));
        }
    }

    /** Two ticks: one lists, the next acts on the fresh list. */
    private void tick(Integer target) {
        actuator.tick(target, "test");
        actuator.tick(target, "test");
    }

    @Test
    void scalesOutByCapacityAndCountsInstancesWithoutNodesAsBooting() {
        tick(3);
        assertThat(set.calls).containsExactly("capacity 3");
        tick(3);
        assertThat(actuator.bootingViews()).hasSize(3).allSatisfy(v -> assertThat(v.state())
                .isEqualTo(NodeState.PROVISIONING));
        assertThat(set.calls).containsExactly("capacity 3"); // already there: asked once
        fleet.enrol("node0", "spot", 1);
        assertThat(actuator.bootingViews()).hasSize(2);
    }

    @Test
    void drainedNodeHasItsOwnInstanceDeletedThenItsBladeDelisted() {
        tick(3);
        for (int i = 0; i < 3; i++) {
            fleet.enrol("node" + i, "spot", 1);
        }
        tick(3);
        assertThat(actuator.drain("node1", 0, "scale-in")).isTrue();
        assertThat(blades).containsExactly("nimby node1");
        assertThat(fleet.link("node1").sent(Drain.class)).hasSize(1);
        tick(2);
        assertThat(set.calls).containsExactly("capacity 3"); // draining: nothing deleted yet, nothing added
        fleet.reliable("node1", new DrainState(fleet.nextSeq(), DrainPhase.DRAINED, 0));
        tick(2);
        assertThat(set.calls).containsExactly("capacity 3", "delete [1]");
        assertThat(fleet.state("node1")).isEqualTo(NodeState.DELETED);
        assertThat(blades).containsExactly("nimby node1", "ejectall node1", "delist node1");
    }

    @Test
    void drainedNodeIsNotDeletedWhileTheRenderManagerStillShowsWorkOnItsBlade() {
        tick(1);
        fleet.enrol("node0", "spot", 1);
        tick(1);
        actuator.drain("node0", 0, "scale-in");
        engineActive.put("node0", 1); // a task handed out just before NIMBY, not yet seen by the agent
        fleet.reliable("node0", new DrainState(fleet.nextSeq(), DrainPhase.DRAINED, 0));
        tick(0);
        tick(0);
        assertThat(set.calls).containsExactly("capacity 1");
        assertThat(fleet.state("node0")).isEqualTo(NodeState.DRAINED);
        engineActive.put("node0", 0);
        tick(0);
        assertThat(set.calls).containsExactly("capacity 1", "delete [0]");
    }

    @Test
    void replacementIsAskedForWhileTheEvictedInstanceStillExistsAndItsNodeGoesWhenItVanishes() {
        tick(2);
        fleet.enrol("node0", "spot", 1);
        fleet.enrol("node1", "spot", 1);
        tick(2);
        fleet.registry.mark("node0", NodeState.EVICTING, "Preempt notice");
        tick(2);
        assertThat(set.calls).containsExactly("capacity 2", "capacity 3"); // 2 working + 1 leaving
        set.instances.removeIf(i -> i.instanceId().equals("0")); // Azure deletes the Spot VM
        fleet.clock.advance(Duration.ofSeconds(11)); // the next list
        tick(2);
        assertThat(fleet.state("node0")).isEqualTo(NodeState.GONE);
        assertThat(blades).contains("ejectall node0", "delist node0");
    }

    @Test
    void aLostNodeIsReplacedAndWhatTheEngineStillShowsOnItsBladeIsRequeued() {
        tick(1);
        fleet.enrol("node0", "spot", 1);
        tick(1);
        fleet.registry.mark("node0", NodeState.SUSPECT, "3 heartbeats missed");
        fleet.registry.mark("node0", NodeState.LOST, "no heartbeat for 60 s");
        fleet.clock.advance(Duration.ofMinutes(4));
        tick(1);
        assertThat(set.calls).noneMatch(c -> c.startsWith("delete")); // not yet: it may come back
        fleet.clock.advance(Duration.ofMinutes(2));
        tick(1);
        assertThat(set.calls).contains("delete [0]");
        assertThat(fleet.state("node0")).isEqualTo(NodeState.DELETED);
        // the engine keeps a task active on a vanished blade forever: ejected before the blade is delisted
        assertThat(blades).containsSubsequence("ejectall node0", "delist node0");
    }

    @Test
    void instanceThatNeverEnrolsIsDeletedAndBacksTheOfferingOff() {
        tick(1);
        fleet.clock.advance(Duration.ofMinutes(11));
        assertThat(actuator.bootingViews()).singleElement().satisfies(v -> assertThat(v.failedBoot()).isTrue());
        tick(1);
        assertThat(set.calls).contains("delete [0]");
        assertThat(offerings.isBackedOff(pool.offering(), fleet.clock.instant())).isTrue();
    }

    @Test
    void neverLowersCapacity() {
        tick(3);
        tick(1);
        tick(0);
        assertThat(set.calls).containsExactly("capacity 3");
    }
}
