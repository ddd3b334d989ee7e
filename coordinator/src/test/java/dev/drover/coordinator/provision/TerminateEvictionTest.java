package dev.drover.coordinator.provision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, the render manager's side (Tractor, or the built-in queue through the same control): a Terminate
 * that lets the node's tasks finish NIMBYs the blade at once but ejects nothing; the agent's fallback ejects.
 */
class TerminateEvictionTest {
    private final TestFleet fleet = new TestFleet();
    private final PoolSpec pool = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final List<String> calls = new ArrayList<>();
    private final BladeControl engine = new BladeControl() {
        @Override
        public Future<Void> nimby(String blade, boolean on) {
            calls.add("nimby " + blade + " " + on);
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> ejectAll(String blade) {
            calls.add("ejectall " + blade);
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> delist(String blade) {
            return Future.succeededFuture();
        }

        @Override
        public Future<Integer> activeTasks(String blade) {
            return Future.succeededFuture(0);
        }
    };

    {
        Provisioning provisioning = new Provisioning(List.of(pool), Map.of(), fleet.registry, engine,
                new Timeline(fleet.clock, new SimpleMeterRegistry()), new OfferingHealth(Duration.ofMinutes(3), 3,
                        Duration.ofMinutes(10)), fleet.clock);
        fleet.registry.addListener(provisioning);
    }

    private EvictionNotice terminate(long finishBy) {
        long notBefore = fleet.clock.millis() + 600_000;
        return new EvictionNotice(fleet.nextSeq(), "ev-t", EvictionType.TERMINATE, notBefore, "", fleet.clock.millis(),
                finishBy);
    }

    @Test
    void terminateLettingTasksFinishNimbiesWithoutEjecting() {
        fleet.enrol("node0", "spot", 1);

        fleet.reliable("node0", terminate(fleet.clock.millis() + 570_000));

        assertThat(fleet.state("node0")).isEqualTo(NodeState.EVICTING);
        assertThat(calls).containsExactly("nimby node0 true");
    }

    @Test
    void theAgentsFallbackEjectsThen() {
        fleet.enrol("node0", "spot", 1);
        fleet.reliable("node0", terminate(fleet.clock.millis() + 570_000));

        fleet.reliable("node0", terminate(0));

        assertThat(calls).containsExactly("nimby node0 true", "ejectall node0");
    }

    @Test
    void aPreemptOnTopOfAFinishingTerminateEjects() {
        fleet.enrol("node0", "spot", 1);
        fleet.reliable("node0", terminate(fleet.clock.millis() + 570_000));

        fleet.reliable("node0", new EvictionNotice(fleet.nextSeq(), "ev-p", EvictionType.PREEMPT,
                fleet.clock.millis() + 30_000, "", fleet.clock.millis()));

        assertThat(calls).containsExactly("nimby node0 true", "ejectall node0");
    }

    @Test
    void terminateWithoutTimeToSpareEjectsAtOnceAsAPreemptDoes() {
        fleet.enrol("node0", "spot", 1);

        fleet.reliable("node0", terminate(0));

        assertThat(calls).containsExactly("nimby node0 true", "ejectall node0");
    }
}
