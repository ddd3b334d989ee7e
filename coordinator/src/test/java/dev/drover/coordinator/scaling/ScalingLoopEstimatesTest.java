package dev.drover.coordinator.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.provision.OfferingHealth;
import dev.drover.coordinator.provision.Provisioning;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskRef;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The live scaling loop feeds the policy the runtime estimates the simulator's {@code drover} policy gets (one
 * code path, {@link ScalingInputs#work}): the built-in queue's finished task durations per job, and how long
 * its running tasks have run, on the injected clock.
 */
class ScalingLoopEstimatesTest {
    private final TestFleet fleet = new TestFleet();
    private final Timeline timeline = new Timeline(fleet.clock, new SimpleMeterRegistry());
    /**
     * 4 slots, 5 min idle window: with the loop's 4 min boot a node's paid overhead is 9 min, and its share of
     * short work should be 1.5 times that (13.5 min, shown rounded to 14).
     */
    private final PoolSpec pool = new PoolSpec("spot", "D16", "", true, 4, Set.of("blender"), 0, 50, 0.16,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final BuiltInQueue queue = new BuiltInQueue(fleet.registry, List.of(pool), timeline, fleet.clock);
    private final Provisioning provisioning = new Provisioning(List.of(pool), Map.of(), fleet.registry, queue,
            timeline, new OfferingHealth(Duration.ofMinutes(3), 2, Duration.ofMinutes(10)), fleet.clock);
    private final ScalingLoop loop = new ScalingLoop(List.of(pool), Map.of(), Double.POSITIVE_INFINITY,
            fleet.registry, queue::view, provisioning, fleet.clock);

    {
        fleet.registry.addListener(queue);
        fleet.registry.addListener(provisioning);
    }

    @Test
    void oneMinuteFramesAreScaledByWorkOnceTheJobsFirstTasksFinished() {
        loop.estimateFrom(queue::queuedWork);
        TestFleet.Link a = fleet.enrol("a", "spot", 4);
        queue.submit(job(104));
        List<TaskRef> first = sentTo(a);
        assertThat(first).hasSize(4);

        // nothing finished yet: no estimate, so one node per 4 ready-or-active tasks, as before
        assertThat(outcome(loop.tick()).target()).isEqualTo(26);

        fleet.clock.advance(Duration.ofSeconds(60));
        first.forEach(t -> fleet.finished("a", t, 0));
        assertThat(sentTo(a)).hasSize(8); // the next four went out at once

        // 96 ready × 60 s + 4 running × 60 s still to do = 100 slot-min; a node is worth 4 slots × 13.5 min
        ScalingDecision.PoolOutcome byWork = outcome(loop.tick());
        assertThat(byWork.target()).isEqualTo(2);
        assertThat(byWork.reason()).contains("by work (100 slot-min within 14 min; 25 by task count)");

        // 30 s later the running four have 30 s left each: the estimate follows the injected clock
        fleet.clock.advance(Duration.ofSeconds(30));
        assertThat(outcome(loop.tick()).reason()).contains("by work (98 slot-min within 14 min");
    }

    @Test
    void withoutTheQueuesWorkTheLoopScalesByTaskCount() {
        TestFleet.Link a = fleet.enrol("a", "spot", 4);
        queue.submit(job(104));
        fleet.clock.advance(Duration.ofSeconds(60));
        sentTo(a).forEach(t -> fleet.finished("a", t, 0));

        ScalingDecision.PoolOutcome byCount = outcome(loop.tick());
        assertThat(byCount.target()).isEqualTo(25);
        assertThat(byCount.reason()).doesNotContain("by work");
    }

    @Test
    void failedTasksTeachTheEstimatorNothing() {
        loop.estimateFrom(queue::queuedWork);
        TestFleet.Link a = fleet.enrol("a", "spot", 4);
        queue.submit(job(104));
        fleet.clock.advance(Duration.ofSeconds(60));
        sentTo(a).forEach(t -> fleet.finished("a", t, 1)); // exit 1: retried, not a runtime

        assertThat(queue.queuedWork().estimator().estimate("1", "blender")).isNaN();
        assertThat(outcome(loop.tick()).target()).isEqualTo(26);
    }

    private static BuiltInQueue.JobSpec job(int frames) {
        List<BuiltInQueue.TaskSpec> tasks = new ArrayList<>();
        for (int i = 1; i <= frames; i++) {
            tasks.add(new BuiltInQueue.TaskSpec("frame " + i, List.of("render", Integer.toString(i)), List.of(), ""));
        }
        return new BuiltInQueue.JobSpec("shot", "blender", tasks);
    }

    private static List<TaskRef> sentTo(TestFleet.Link link) {
        return link.sent(RunTask.class).stream().map(RunTask::task).toList();
    }

    private static ScalingDecision.PoolOutcome outcome(ScalingDecision d) {
        return d.pools().stream().filter(p -> p.pool().equals("spot")).findFirst().orElseThrow();
    }
}
