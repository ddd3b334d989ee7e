package dev.drover.coordinator.provision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Issue 13: a drained node waiting for its blade to go idle never holds up scale-out or listing of its pool. */
class DrainWaitTest {
    private final TestFleet fleet = new TestFleet();
    private final PoolSpec pool = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final PoolActuatorTest.MemoryScaleSet set = new PoolActuatorTest.MemoryScaleSet();
    private final Promise<Integer> engineAnswer = Promise.promise();
    private int checks;

    /** A render manager that takes its time to say whether the blade is idle. */
    private final BladeControl slowEngine = new BladeControl() {
        @Override
        public Future<Void> nimby(String blade, boolean on) {
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> ejectAll(String blade) {
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> delist(String blade) {
            return Future.succeededFuture();
        }

        @Override
        public Future<Integer> activeTasks(String blade) {
            checks++;
            return engineAnswer.future();
        }
    };

    private final PoolActuator actuator = new PoolActuator(pool, set, fleet.registry, slowEngine,
            new Timeline(fleet.clock, new SimpleMeterRegistry()), new OfferingHealth(Duration.ofMinutes(3), 3,
                    Duration.ofMinutes(10)), fleet.clock, new PoolActuator.Settings(Duration.ofSeconds(10),
                            Duration.ofMinutes(10), Duration.ofMinutes(5)));

    private void tick(Integer target) {
        actuator.tick(target, "test");
        actuator.tick(target, "test");
    }

    @Test
    void scaleOutAndListingGoOnWhileADrainedNodesBladeIsChecked() {
        tick(1);
        fleet.enrol("node0", "spot", 1);
        tick(1);
        actuator.drain("node0", 0, "scale-in");
        fleet.reliable("node0", new DrainState(fleet.nextSeq(), DrainPhase.DRAINED, 0));
        tick(0); // the idle check starts and does not answer
        tick(3); // work arrives meanwhile: 3 working + the drained one on its way out
        assertThat(set.calls).containsExactly("capacity 1", "capacity 4");
        fleet.clock.advance(Duration.ofSeconds(11));
        int listed = set.listings;
        tick(3);
        assertThat(set.listings).as("instances are still listed").isGreaterThan(listed);
        assertThat(checks).as("one check in flight at a time").isEqualTo(1);

        engineAnswer.complete(0);
        tick(3);
        assertThat(set.calls).containsExactly("capacity 1", "capacity 4", "delete [0]");
    }
}
