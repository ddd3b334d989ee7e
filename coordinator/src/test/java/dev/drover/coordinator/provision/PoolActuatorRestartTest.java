package dev.drover.coordinator.provision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Deletes asked for before a coordinator restart are seen through once after it: asked again only if the scale
 * set does not show them under way, never while it does, and the blade is delisted once the instance is gone.
 */
class PoolActuatorRestartTest {
    private final TestFleet fleet = new TestFleet();
    private final Timeline timeline = new Timeline(fleet.clock, new SimpleMeterRegistry());
    private final PoolSpec pool = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final PoolActuatorTest.MemoryScaleSet set = new PoolActuatorTest.MemoryScaleSet();
    private final List<String> blades = new ArrayList<>();
    private final List<String> journal = new ArrayList<>();
    private final PoolActuator actuator = new PoolActuator(pool, set, fleet.registry, new Blades(), timeline,
            new OfferingHealth(Duration.ofMinutes(3), 3, Duration.ofMinutes(10)), fleet.clock,
            new PoolActuator.Settings(Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofMinutes(5)));

    {
        actuator.setJournal(new ProvisionJournal() {
            @Override
            public void deletePending(PendingDelete d) {
                journal.add(d.step() + " " + d.instanceId());
            }

            @Override
            public void deleteDone(String p, String instanceId) {
                journal.add("done " + instanceId);
            }
        });
    }

    final class Blades implements BladeControl {
        @Override
        public Future<Void> nimby(String blade, boolean on) {
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
            return Future.succeededFuture(0);
        }
    }

    private void tick() {
        actuator.tick(null, "test");
        actuator.tick(null, "test");
    }

    /** node0..node2 on instances 0..2, node1 drained (as before the crash). */
    private void farmWithADrainedNode() {
        set.setCapacity(3);
        for (int i = 0; i < 3; i++) {
            fleet.enrol("node" + i, "spot", 1);
        }
        fleet.registry.mark("node1", NodeState.DRAINING, "scale-in");
        fleet.reliable("node1", new DrainState(fleet.nextSeq(), DrainPhase.DRAINED, 0));
        set.calls.clear();
    }

    private static ProvisionJournal.PendingDelete pending(String instance, String node, ProvisionJournal.Step step) {
        return new ProvisionJournal.PendingDelete("spot", instance, node, "drained: no task running", step,
                Instant.parse("2026-11-26T11:59:00Z"));
    }

    @Test
    void aDeleteThatNeverReachedTheScaleSetIsAskedForOnce() {
        farmWithADrainedNode();
        actuator.restore(List.of(pending("1", "node1", ProvisionJournal.Step.DELETE)));

        tick();
        tick();
        tick();

        assertThat(set.calls).containsExactly("delete [1]");
        assertThat(fleet.state("node1")).isEqualTo(NodeState.DELETED);
        assertThat(blades).containsExactly("ejectall node1", "delist node1");
        assertThat(journal).containsExactly("DELETE 1", "DELIST 1", "done 1");
    }

    @Test
    void aDeleteThatHappenedBeforeTheCrashIsCompletedWithoutAskingAgain() {
        farmWithADrainedNode();
        set.instances.removeIf(i -> i.instanceId().equals("1")); // the scale set did it; the crash hid the answer
        actuator.restore(List.of(pending("1", "node1", ProvisionJournal.Step.DELETE)));

        tick();
        tick();

        assertThat(set.calls).isEmpty();
        assertThat(fleet.state("node1")).isEqualTo(NodeState.DELETED);
        assertThat(blades).containsExactly("ejectall node1", "delist node1");
        assertThat(journal).containsExactly("DELIST 1", "done 1");
    }

    @Test
    void aDeleteUnderWayIsWaitedForNotRepeated() {
        farmWithADrainedNode();
        set.instances.replaceAll(i -> i.instanceId().equals("1") ? new Instance("1", "node1", "running", "deleting")
                : i);
        actuator.restore(List.of(pending("1", "node1", ProvisionJournal.Step.DELETE)));

        tick();
        assertThat(set.calls).isEmpty();
        assertThat(fleet.state("node1")).isEqualTo(NodeState.DRAINED);

        set.instances.removeIf(i -> i.instanceId().equals("1"));
        fleet.clock.advance(Duration.ofSeconds(11));
        tick();

        assertThat(set.calls).isEmpty();
        assertThat(fleet.state("node1")).isEqualTo(NodeState.DELETED);
        assertThat(blades).containsExactly("ejectall node1", "delist node1");
    }

    @Test
    void onlyTheDelistWasLeft() {
        farmWithADrainedNode();
        set.instances.removeIf(i -> i.instanceId().equals("1"));
        fleet.registry.mark("node1", NodeState.DELETED, "instance 1 deleted");
        actuator.restore(List.of(pending("1", "node1", ProvisionJournal.Step.DELIST)));

        tick();

        assertThat(set.calls).isEmpty();
        assertThat(blades).containsExactly("ejectall node1", "delist node1");
        assertThat(journal).containsExactly("DELIST 1", "done 1");
    }

    @Test
    void aNodeWhoseInstanceLeftWhileTheCoordinatorWasDownIsGone() {
        set.setCapacity(2);
        fleet.enrol("node0", "spot", 1);
        fleet.enrol("node1", "spot", 1);
        set.instances.removeIf(i -> i.instanceId().equals("1"));
        set.calls.clear();
        actuator.restore(List.of()); // a fresh actuator has never listed node1, but the fleet remembers it

        tick();

        assertThat(fleet.state("node1")).isEqualTo(NodeState.GONE);
        assertThat(fleet.state("node0")).isEqualTo(NodeState.READY);
        assertThat(set.calls).isEmpty();
    }
}
