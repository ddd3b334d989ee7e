package dev.drover.coordinator.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BuiltInQueueTest {
    private final TestFleet fleet = new TestFleet();
    private final Timeline timeline = new Timeline(fleet.clock, new SimpleMeterRegistry());
    private final PoolSpec spot = new PoolSpec("spot", "D4", "", true, 2, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final PoolSpec cpu = new PoolSpec("cpu", "D4", "", true, 1, Set.of("prman"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);
    private final BuiltInQueue queue = new BuiltInQueue(fleet.registry, List.of(spot, cpu), timeline, fleet.clock);

    {
        fleet.registry.addListener(queue);
    }

    private static BuiltInQueue.JobSpec job(String key, int tasks) {
        List<BuiltInQueue.TaskSpec> specs = new ArrayList<>();
        for (int i = 1; i <= tasks; i++) {
            specs.add(new BuiltInQueue.TaskSpec("frame " + i, List.of("render", "-f", String.valueOf(i)), List.of(), ""));
        }
        return new BuiltInQueue.JobSpec("shot", key, specs);
    }

    @Test
    void dispatchesByServiceKeyAndSlots() {
        TestFleet.Link a = fleet.enrol("a", "spot", 2);
        TestFleet.Link b = fleet.enrol("b", "cpu", 1);
        queue.submit(job("Blender", 5));

        assertThat(a.sent(RunTask.class)).hasSize(2).allSatisfy(r -> assertThat(r.serviceKey()).isEqualTo("blender"));
        assertThat(b.sent(RunTask.class)).isEmpty(); // its pool does not serve blender
        assertThat(queue.view().counts()).containsEntry("blender", new QueueView.Counts(3, 2));
        assertThat(queue.dispatch()).isZero(); // no free slot anywhere
    }

    @Test
    void successFailureRetryAndGivingUp() {
        TestFleet.Link a = fleet.enrol("a", "spot", 2);
        queue.submit(job("blender", 2));
        TaskRef first = a.sent(RunTask.class).get(0).task();
        TaskRef second = a.sent(RunTask.class).get(1).task();

        fleet.finished("a", first, 0);
        assertThat(queue.task(first).state()).isEqualTo(BuiltInQueue.State.DONE);

        for (int attempt = 1; attempt < BuiltInQueue.MAX_ATTEMPTS; attempt++) {
            fleet.finished("a", second, 1);
            assertThat(queue.task(second).state()).as("retried after attempt " + attempt)
                    .isEqualTo(BuiltInQueue.State.ACTIVE);
        }
        fleet.finished("a", second, 1);
        assertThat(queue.task(second).state()).isEqualTo(BuiltInQueue.State.ERROR);
        assertThat(queue.task(second).attempts()).isEqualTo(BuiltInQueue.MAX_ATTEMPTS);
        assertThat(queue.drained()).isTrue();
    }

    @Test
    void refusedTaskIsRequeuedWithoutAnAttemptAndTheNodeRests() {
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        TestFleet.Link b = fleet.enrol("b", "spot", 1);
        queue.submit(job("blender", 3));
        TaskRef onA = a.sent(RunTask.class).get(0).task();

        fleet.finished("a", onA, TaskFinished.NOT_STARTED);

        assertThat(queue.task(onA).attempts()).isZero();
        assertThat(queue.task(onA).state()).isEqualTo(BuiltInQueue.State.READY);
        assertThat(a.sent(RunTask.class)).hasSize(1); // no ping-pong with a node that refuses
        fleet.clock.advance(BuiltInQueue.REFUSAL_PAUSE.plusSeconds(1));
        queue.dispatch();
        assertThat(a.sent(RunTask.class)).hasSize(2);
    }

    @Test
    void evictionRequeuesAtOnceCancelsOnTheOldNodeAndIgnoresItsLateReport() {
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        queue.submit(job("blender", 1));
        TaskRef task = a.sent(RunTask.class).get(0).task();
        fleet.started("a", task);

        fleet.reliable("a", new EvictionNotice(fleet.nextSeq(), "ev-1", EvictionType.PREEMPT,
                fleet.clock.millis() + 30_000, "", fleet.clock.millis()));

        assertThat(fleet.state("a")).isEqualTo(NodeState.EVICTING);
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.READY);
        assertThat(queue.task(task).requeues()).isEqualTo(1);
        assertThat(a.sent(CancelTask.class)).extracting(CancelTask::task).containsExactly(task);
        assertThat(timeline.total(Timeline.Kind.REQUEUE)).isEqualTo(1);

        TestFleet.Link b = fleet.enrol("b", "spot", 1); // the replacement
        assertThat(b.sent(RunTask.class)).extracting(RunTask::task).containsExactly(task);
        fleet.finished("a", task, 137); // the killed attempt reports late: ignored
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.ACTIVE);
        fleet.finished("b", task, 0);
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.DONE);
        assertThat(queue.task(task).nodesTried()).containsExactly("a", "b");
        assertThat(queue.task(task).attempts()).isEqualTo(1); // the eviction was not the task's fault
    }

    @Test
    void terminateWithTimeToSpareLetsTheTaskFinishAndGivesTheNodeNoNewWork() {
        // given a busy node and more work queued for its pool
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        queue.submit(job("blender", 2));
        TaskRef task = a.sent(RunTask.class).get(0).task();
        fleet.started("a", task);

        // when a Terminate arrives whose tasks the agent let finish (extension 1)
        long notBefore = fleet.clock.millis() + 600_000;
        fleet.reliable("a", new EvictionNotice(fleet.nextSeq(), "ev-t", EvictionType.TERMINATE, notBefore, "",
                fleet.clock.millis(), notBefore - 30_000));

        // then the node is Evicting, its task keeps running there, and it gets nothing new
        assertThat(fleet.state("a")).isEqualTo(NodeState.EVICTING);
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.ACTIVE);
        assertThat(a.sent(CancelTask.class)).isEmpty();
        fleet.finished("a", task, 0);
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.DONE);
        assertThat(queue.task(task).requeues()).isZero();
        assertThat(a.sent(RunTask.class)).hasSize(1);
        assertThat(timeline.total(Timeline.Kind.REQUEUE)).isZero();
    }

    @Test
    void terminateFallbackRequeuesTheTasksItHadLetRun() {
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        queue.submit(job("blender", 1));
        TaskRef task = a.sent(RunTask.class).get(0).task();
        fleet.started("a", task);
        long notBefore = fleet.clock.millis() + 600_000;
        fleet.reliable("a", new EvictionNotice(fleet.nextSeq(), "ev-t", EvictionType.TERMINATE, notBefore, "",
                fleet.clock.millis(), notBefore - 30_000));
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.ACTIVE);

        // when the agent says the ETA no longer fits: the same event again, without extension 1
        fleet.reliable("a", new EvictionNotice(fleet.nextSeq(), "ev-t", EvictionType.TERMINATE, notBefore, "",
                fleet.clock.millis()));

        // then the task is requeued at once and stopped on the node
        assertThat(fleet.state("a")).isEqualTo(NodeState.EVICTING);
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.READY);
        assertThat(queue.task(task).requeues()).isEqualTo(1);
        assertThat(a.sent(CancelTask.class)).extracting(CancelTask::task).containsExactly(task);
    }

    @Test
    void terminateWithoutTimeToSpareRequeuesAtOnce() {
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        queue.submit(job("blender", 1));
        TaskRef task = a.sent(RunTask.class).get(0).task();
        fleet.started("a", task);

        fleet.reliable("a", new EvictionNotice(fleet.nextSeq(), "ev-t", EvictionType.TERMINATE,
                fleet.clock.millis() + 40_000, "", fleet.clock.millis()));

        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.READY);
        assertThat(a.sent(CancelTask.class)).extracting(CancelTask::task).containsExactly(task);
    }

    @Test
    void successReportedAfterTheEvictionWinsOverItsRequeue() {
        // given a task running on a, and after a partition the agent's resent stream: the eviction notice
        // first, then the TaskFinished (exit 0) of the task that had completed meanwhile
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        queue.submit(job("blender", 2));
        TaskRef task = a.sent(RunTask.class).get(0).task();
        fleet.started("a", task);
        fleet.reliable("a", new EvictionNotice(fleet.nextSeq(), "ev-1", EvictionType.PREEMPT, 0, "", 0));
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.READY);

        // when the success arrives before the requeued copy was sent anywhere
        fleet.finished("a", task, 0);

        // then the result stands and the task is not run again
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.DONE);
        assertThat(queue.task(task).attempts()).isEqualTo(1);
        TestFleet.Link b = fleet.enrol("b", "spot", 1);
        assertThat(b.sent(RunTask.class)).extracting(RunTask::task).doesNotContain(task);
    }

    @Test
    void successFromTheOldNodeCancelsACopyAlreadySentElsewhere() {
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        queue.submit(job("blender", 1));
        TaskRef task = a.sent(RunTask.class).get(0).task();
        fleet.reliable("a", new EvictionNotice(fleet.nextSeq(), "ev-1", EvictionType.PREEMPT, 0, "", 0));
        TestFleet.Link b = fleet.enrol("b", "spot", 1);
        assertThat(b.sent(RunTask.class)).extracting(RunTask::task).containsExactly(task);

        fleet.finished("a", task, 0);

        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.DONE);
        assertThat(b.sent(CancelTask.class)).extracting(CancelTask::task).containsExactly(task);
        fleet.finished("b", task, 143); // the cancelled copy's report changes nothing
        assertThat(queue.task(task).state()).isEqualTo(BuiltInQueue.State.DONE);
    }

    @Test
    void drainingNodeGetsNoWork() {
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        fleet.registry.drain("a", 0, "test");
        queue.submit(job("blender", 1));
        assertThat(a.sent(RunTask.class)).isEmpty();
    }

    @Test
    void aNodeThatStartsTakingWorkGetsTheWaitingTask() {
        TestFleet.Link a = fleet.enrol("a", "spot", 1);
        queue.submit(job("blender", 2)); // one goes to a, one waits
        fleet.registry.mark("a", NodeState.DRAINING, "test");
        TestFleet.Link b = fleet.enrol("b", "spot", 1); // its Ready transition hands it the waiting task

        assertThat(a.sent(RunTask.class)).hasSize(1);
        assertThat(b.sent(RunTask.class)).hasSize(1);
        assertThat(queue.view().counts()).containsEntry("blender", new QueueView.Counts(0, 2));
    }

    @Test
    void anEmptyQueueDispatchesNothing() {
        TestFleet.Link a = fleet.enrol("a", "spot", 1);

        assertThat(queue.dispatch()).isZero();
        assertThat(a.sent(RunTask.class)).isEmpty();
    }
}
