package dev.drover.coordinator.provision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskRef;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProvisioningTest {
    private final TestFleet fleet = new TestFleet();
    private final Timeline timeline = new Timeline(fleet.clock, new SimpleMeterRegistry());
    private final PoolSpec pool = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final BuiltInQueue queue = new BuiltInQueue(fleet.registry, List.of(pool), timeline, fleet.clock);
    private final OfferingHealth offerings = new OfferingHealth(Duration.ofMinutes(3), 2, Duration.ofMinutes(10));
    private final Provisioning provisioning = new Provisioning(List.of(pool), Map.of(), fleet.registry, queue,
            timeline, offerings, fleet.clock);

    {
        fleet.registry.addListener(queue);
        fleet.registry.addListener(provisioning);
    }

    /** Blade calls of the Provisioning instances made with it, in order. */
    private final List<String> calls = new java.util.ArrayList<>();
    private final BladeControl recording = new BladeControl() {
        @Override
        public io.vertx.core.Future<Void> nimby(String blade, boolean on) {
            calls.add("nimby " + blade + (on ? " on" : " off"));
            return io.vertx.core.Future.succeededFuture();
        }

        @Override
        public io.vertx.core.Future<Void> ejectAll(String blade) {
            calls.add("ejectall " + blade);
            return io.vertx.core.Future.succeededFuture();
        }

        @Override
        public io.vertx.core.Future<Void> delist(String blade) {
            calls.add("delist " + blade);
            return io.vertx.core.Future.succeededFuture();
        }

        @Override
        public io.vertx.core.Future<Integer> activeTasks(String blade) {
            return io.vertx.core.Future.succeededFuture(0);
        }
    };

    @Test
    void drainOnCompletionLeavesRunningWorkAloneADeadlineStopsItAndRequeues() {
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        queue.submit(new BuiltInQueue.JobSpec("shot", "blender", List.of(new BuiltInQueue.TaskSpec("frame 1",
                List.of("render"), List.of(), ""))));
        TaskRef task = a.sent(RunTask.class).get(0).task();
        fleet.started("a", task);

        long deadline = fleet.clock.millis() + 60_000;
        assertThat(provisioning.drain("a", deadline, "ops")).isTrue();
        assertThat(fleet.state("a")).isEqualTo(NodeState.DRAINING);
        fleet.clock.advance(Duration.ofSeconds(59));
        provisioning.enforceDeadlines();
        assertThat(a.sent(CancelTask.class)).isEmpty(); // still before the deadline: the task runs on

        fleet.clock.advance(Duration.ofSeconds(2));
        provisioning.enforceDeadlines();
        assertThat(a.sent(CancelTask.class)).extracting(CancelTask::task).containsExactly(task);
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.READY);
        assertThat(timeline.total(Timeline.Kind.DRAIN)).isEqualTo(2); // the drain, then its deadline
    }

    @Test
    void afterARestartTheBladeActionsOfLeavingNodesAreAskedForAgain() {
        fleet.enrol("evicted", "spot", 1);
        fleet.enrol("lost", "spot", 1);
        fleet.enrol("draining", "spot", 1);
        fleet.enrol("fine", "spot", 1);
        fleet.registry.mark("evicted", NodeState.EVICTING, "Preempt");
        fleet.registry.mark("lost", NodeState.SUSPECT, "3 heartbeats missed");
        fleet.registry.mark("lost", NodeState.LOST, "no heartbeat for 60 s");
        fleet.registry.mark("draining", NodeState.DRAINING, "scale-in");
        // a restarted coordinator: the states came back from the store, the engine calls in flight did not
        new Provisioning(List.of(pool), Map.of(), fleet.registry, recording, timeline, offerings, fleet.clock)
                .reassertBladeActions();
        assertThat(calls).containsExactlyInAnyOrder("nimby evicted on", "ejectall evicted", "nimby lost on",
                "ejectall lost", "nimby draining on");
    }

    /** Enrols a node whose blade calls (by a Provisioning listening with {@link #recording}) land in calls. */
    private void enrolWithBladeCallsRecorded(String nodeId) {
        fleet.registry.addListener(new Provisioning(List.of(pool), Map.of(), fleet.registry, recording, timeline,
                offerings, fleet.clock));
        fleet.enrol(nodeId, "spot", 1);
    }

    @Test
    void aLostNodesBladeTakesNoNewWorkUntilItsAgentIsBack() {
        enrolWithBladeCallsRecorded("a");
        fleet.registry.mark("a", NodeState.SUSPECT, "3 heartbeats missed");
        fleet.registry.mark("a", NodeState.LOST, "no heartbeat for 60 s");
        // its tasks run elsewhere, and the blade Drover cannot see is given nothing new (its VM will be replaced)
        assertThat(calls).containsExactly("nimby a on", "ejectall a");
        fleet.heartbeat("a", 0);
        assertThat(fleet.state("a")).isEqualTo(NodeState.READY);
        assertThat(calls).containsExactly("nimby a on", "ejectall a", "nimby a off");
    }

    @Test
    void aNodeBackInServiceFromADrainOrBeingUnhealthyHasItsBladeUnNimbied() {
        enrolWithBladeCallsRecorded("a");
        fleet.registry.mark("a", NodeState.DRAINING, "scale-in");
        fleet.registry.mark("a", NodeState.READY, "drain cancelled");
        fleet.registry.mark("a", NodeState.UNHEALTHY, "mount /mnt/cache STALE");
        fleet.registry.mark("a", NodeState.READY, "mounts healthy again");
        fleet.registry.mark("a", NodeState.SUSPECT, "3 heartbeats missed");
        fleet.registry.mark("a", NodeState.READY, "heartbeat resumed");
        assertThat(calls).as("lifted on each return from a state Drover may have NIMBY'd it in; not after a blip")
                .containsExactly("nimby a off", "nimby a off");
    }

    @Test
    void heavyEvictionsBackTheOfferingOffAndSayWhereDemandGoes() {
        fleet.enrol("a", "spot", 1);
        fleet.enrol("b", "spot", 1);
        fleet.registry.mark("a", NodeState.EVICTING, "Preempt");
        assertThat(provisioning.backedOff()).isEmpty();
        fleet.registry.mark("b", NodeState.EVICTING, "Preempt");
        assertThat(provisioning.backedOff()).containsKey(pool.offering());
        assertThat(offerings.evictionsLastHour(pool.offering(), fleet.clock.instant())).isEqualTo(2);
        assertThat(timeline.total(Timeline.Kind.EVICTION)).isEqualTo(2);
    }

    @Test
    void pauseAndUnknownPools() {
        assertThat(provisioning.setPaused("spot", true, "ops")).isTrue();
        assertThat(provisioning.paused()).containsExactly("spot");
        assertThat(provisioning.setPaused("nosuch", true, "ops")).isFalse();
        assertThat(provisioning.drain("nosuch-node", 0, "ops")).isFalse();
    }
}
