package dev.drover.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.LivenessSettings;
import dev.drover.coordinator.fleet.MutableClock;
import dev.drover.coordinator.fleet.Node;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import dev.drover.coordinator.provision.OfferingHealth;
import dev.drover.coordinator.provision.Provisioning;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.queue.QueueJournal;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.Hello;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import dev.drover.protocol.Welcome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator's fleet and queue over a real store, "killed" (dropped without closing) and started again on
 * the same file, on a clock the test moves: what it remembers, and how it reconciles with agents coming back.
 */
class RestartReconciliationTest {
    private static final LivenessSettings LIVENESS = new LivenessSettings(Duration.ofSeconds(5), 20, 3,
            Duration.ofSeconds(60));
    private static final PoolSpec SPOT = new PoolSpec("spot", "D4", "", true, 1, Set.of("blender"), 0, 10, 0.1,
            Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-29T12:00:00Z"));
    private final List<StateStore> opened = new ArrayList<>();

    @AfterEach
    void closeStores() {
        opened.forEach(StateStore::close);
    }

    /** One life of a coordinator: its own registry, queue and journals, on the shared database file. */
    /** The agents' streams in these tests: each keeps its outbox on disk, so its stream goes on. */
    private static final String AGENT_STREAM = "agent-stream";

    final class Life {
        final StateStore store = StateStore.open(dir.resolve("coordinator.db").toString(), "NORMAL");
        final NodeRegistry registry = new NodeRegistry(clock, LIVENESS, 100, Runnable::run);
        final Timeline timeline = new Timeline(clock, new SimpleMeterRegistry());
        final BuiltInQueue queue = new BuiltInQueue(registry, List.of(SPOT), timeline, clock);
        final PoolStore pools = new PoolStore(store);
        final Provisioning provisioning = new Provisioning(List.of(SPOT), Map.of(), registry, queue, timeline,
                new OfferingHealth(Duration.ofMinutes(3), 3, Duration.ofMinutes(10)), clock);
        final Map<String, TestFleet.Link> links = new HashMap<>();
        final Map<String, String> sessions = new HashMap<>();
        final StoreDeliveryLedger ledger = new StoreDeliveryLedger(new FleetStore(store, true));

        /** @param listening false: queue and orchestration miss fleet events (the coordinator dies before them) */
        Life(boolean listening) {
            opened.add(store);
            FleetStore fleet = new FleetStore(store, true);
            registry.setJournal(fleet);
            registry.restore(fleet.loadNodes());
            queue.setJournal(new QueueStore(store));
            queue.restore(new QueueStore(store).load());
            Map<String, NodeState> states = new HashMap<>();
            registry.snapshot().forEach(n -> states.put(n.id(), n.state()));
            Reconciliation.requeues(queue.records(), states).forEach(r -> queue.requeueFrom(r.nodeId(), r.why(),
                    r.tellNode()));
            provisioning.setJournal(pools);
            provisioning.restore(pools.loadProvisioning());
            if (listening) {
                registry.addListener(queue);
                registry.addListener(provisioning);
            }
        }

        Life() {
            this(true);
        }

        /** The agent connects, naming the session it had (empty for a new agent process). */
        TestFleet.Link connect(String nodeId, String previousSession, long lastReceivedSeq) {
            TestFleet.Link link = new TestFleet.Link();
            Node.Binding b = registry.enrol(new Hello(1, 1, "test", NodeIdentity.local(nodeId, "spot"), 1, 0, "t",
                    previousSession, lastReceivedSeq), 1, link, x -> new Welcome(1, x.sessionId(), nodeId,
                    x.resumed(), 0, 5000, 20, 65536, 0));
            links.put(nodeId, link);
            sessions.put(nodeId, b.sessionId());
            return link;
        }

        long reliable(String nodeId, Reliable event) {
            // as the gateway does (InboundStreams): duplicates by the stored position, effect and position together
            long at = ledger.position(nodeId).of(AGENT_STREAM);
            if (event.seq() <= at) {
                return at;
            }
            return registry.reliable(registry.find(nodeId).orElseThrow(), event,
                    () -> ledger.record(nodeId, AGENT_STREAM, event.seq())) ? event.seq() : at;
        }

        NodeState state(String nodeId) {
            return registry.find(nodeId).orElseThrow().state();
        }

        BuiltInQueue.TaskInfo task(long jid, int tid) {
            return queue.task(new TaskRef(jid, tid, tid));
        }
    }

    private static BuiltInQueue.JobSpec job(int tasks) {
        List<BuiltInQueue.TaskSpec> specs = new ArrayList<>();
        for (int i = 1; i <= tasks; i++) {
            specs.add(new BuiltInQueue.TaskSpec("frame " + i, List.of("render", String.valueOf(i)), List.of(), ""));
        }
        return new BuiltInQueue.JobSpec("shot", "blender", specs);
    }

    @Test
    void anEvictedNodeStaysEvictingAndARunningTaskIsNotDispatchedAgain() {
        Life before = new Life();
        TestFleet.Link a = before.connect("a", "", 0);
        TestFleet.Link b = before.connect("b", "", 0);
        long jid = before.queue.submit(job(3));
        RunTask onA = a.sent(RunTask.class).get(0);
        before.reliable("a", new TaskStarted(1, onA.task(), clock.millis(), 42));
        before.reliable("b", new EvictionNotice(1, "ev-1", EvictionType.PREEMPT, 0, "spot", clock.millis()));
        assertThat(before.state("b")).isEqualTo(NodeState.EVICTING);
        String sessionA = before.sessions.get("a");

        // the coordinator dies; 5 s later it starts again on the same store
        clock.advance(Duration.ofSeconds(5));
        Life after = new Life();

        assertThat(after.state("b")).isEqualTo(NodeState.EVICTING);
        assertThat(after.registry.find("b").orElseThrow().snapshot().eviction().eventId()).isEqualTo("ev-1");
        assertThat(after.state("a")).isEqualTo(NodeState.READY);
        assertThat(after.registry.find("a").orElseThrow().snapshot().connected()).isFalse();
        assertThat(after.queue.task(onA.task()).state()).isEqualTo(BuiltInQueue.State.ACTIVE);
        assertThat(after.queue.task(onA.task()).node()).isEqualTo("a");
        assertThat(after.registry.find("a").orElseThrow().runningTaskRefs()).containsExactly(onA.task());
        assertThat(after.queue.submit(job(1))).as("job ids continue").isEqualTo(jid + 1);
        assertThat(after.queue.dispatch()).as("no node has reconnected").isZero();

        // b comes back: still evicting, no new work (only the commands it never acknowledged, the last a Cancel)
        TestFleet.Link b2 = after.connect("b", "", 0);
        assertThat(after.state("b")).isEqualTo(NodeState.EVICTING);
        assertThat(b2.sent(RunTask.class)).isEqualTo(b.sent(RunTask.class));
        assertThat(b2.sent.get(b2.sent.size() - 1)).isInstanceOf(CancelTask.class);
        assertThat(after.queue.activeOn("b")).isEmpty();

        // a comes back (a new session: sessions name processes, streams carry the positions): the RunTask it
        // never acknowledged comes again in the same command stream, same sequence, nothing new
        TestFleet.Link a2 = after.connect("a", sessionA, 0);
        assertThat(a2.sent(Welcome.class).get(0).resumed()).isFalse();
        assertThat(a2.sent(RunTask.class)).containsExactly(onA);
        after.registry.commandsAcknowledged(after.registry.find("a").orElseThrow(), onA.seq());
        assertThat(after.reliable("a", new TaskStarted(1, onA.task(), clock.millis(), 42))).as("a resent duplicate")
                .isEqualTo(1);
        after.reliable("a", new TaskFinished(2, onA.task(), 0, 0, 1000, -1, clock.millis()));
        assertThat(after.queue.task(onA.task()).state()).isEqualTo(BuiltInQueue.State.DONE);
        assertThat(after.queue.task(onA.task()).nodesTried()).containsExactly("a");
        assertThat(a2.sent(RunTask.class)).hasSize(2); // then the next ready task
    }

    @Test
    void aTaskWhoseNodeNeverReturnsIsRequeuedOnceAfterTheGracePeriod() {
        Life before = new Life();
        before.connect("a", "", 0);
        before.queue.submit(job(1));
        assertThat(before.task(1, 1).state()).isEqualTo(BuiltInQueue.State.ACTIVE);

        clock.advance(Duration.ofSeconds(3));
        Life after = new Life();
        clock.advance(Duration.ofSeconds(20));
        after.registry.sweep();
        assertThat(after.state("a")).as("not heard from: keeps its state for the Lost time").isEqualTo(NodeState.READY);
        assertThat(after.task(1, 1).state()).as("still within the grace period").isEqualTo(BuiltInQueue.State.ACTIVE);

        clock.advance(Duration.ofSeconds(45));
        after.registry.sweep();
        assertThat(after.state("a")).isEqualTo(NodeState.SUSPECT);
        assertThat(after.task(1, 1).state()).isEqualTo(BuiltInQueue.State.ACTIVE);
        clock.advance(Duration.ofSeconds(1));
        after.registry.sweep();
        assertThat(after.state("a")).isEqualTo(NodeState.LOST);
        assertThat(after.task(1, 1).state()).isEqualTo(BuiltInQueue.State.READY);
        assertThat(after.task(1, 1).requeues()).isEqualTo(1);

        Life third = new Life();
        assertThat(third.task(1, 1).state()).isEqualTo(BuiltInQueue.State.READY);
        assertThat(third.task(1, 1).requeues()).as("requeued once, not again at the next start").isEqualTo(1);
        assertThat(third.task(1, 1).attempts()).isZero();
    }

    @Test
    void aFinishAcknowledgedBeforeTheCrashIsAppliedOnceAfterIt() {
        Life before = new Life(false); // dies before its queue hears of the finish
        before.connect("a", "", 0);
        before.queue.submit(job(1));
        TaskRef t = new TaskRef(1, 1, 1);
        assertThat(before.reliable("a", new TaskFinished(1, t, 0, 0, 900, -1, clock.millis()))).isEqualTo(1);
        assertThat(before.task(1, 1).state()).isEqualTo(BuiltInQueue.State.ACTIVE);
        String session = before.sessions.get("a");

        Life after = new Life();
        assertThat(after.task(1, 1).state()).isEqualTo(BuiltInQueue.State.DONE);
        after.connect("a", session, 0);
        assertThat(after.reliable("a", new TaskFinished(1, t, 0, 0, 900, -1, clock.millis()))).as("resent: a duplicate")
                .isEqualTo(1);
        assertThat(after.queue.totals()).containsEntry(BuiltInQueue.State.DONE, 1).containsEntry(
                BuiltInQueue.State.READY, 0);
        assertThat(new QueueStore(after.store).load().pendingFinishes()).isEmpty();
    }

    @Test
    void anEvictionTheQueueHadNotActedOnIsActedOnAtStart() {
        Life before = new Life(false);
        before.connect("a", "", 0);
        before.queue.submit(job(1));
        before.reliable("a", new EvictionNotice(1, "ev-9", EvictionType.PREEMPT, 0, "", clock.millis()));
        assertThat(before.task(1, 1).state()).isEqualTo(BuiltInQueue.State.ACTIVE);

        Life after = new Life();
        assertThat(after.task(1, 1).state()).isEqualTo(BuiltInQueue.State.READY);
        assertThat(after.task(1, 1).requeues()).isEqualTo(1);
        TestFleet.Link a = after.connect("a", "", 0);
        assertThat(a.sent(CancelTask.class)).singleElement().satisfies(c -> assertThat(c.task()).isEqualTo(
                new TaskRef(1, 1, 1)));
        assertThat(a.sent.get(a.sent.size() - 1)).as("the Cancel follows the RunTask resent").isInstanceOf(
                CancelTask.class);
        assertThat(a.sent(RunTask.class)).as("an evicting node gets no new work").hasSize(1);
        assertThat(after.queue.dispatch()).isZero();
        assertThat(after.queue.activeOn("a")).isEmpty();

        Life third = new Life();
        assertThat(third.task(1, 1).requeues()).as("once").isEqualTo(1);
    }

    @Test
    void aDrainInProgressContinuesAndItsDeadlineIsKept() {
        Life before = new Life();
        before.connect("a", "", 0);
        before.connect("b", "", 0);
        before.queue.submit(job(2));
        long deadline = clock.instant().plusSeconds(120).toEpochMilli();
        assertThat(before.provisioning.drain("a", deadline, "ops")).isTrue();
        assertThat(before.provisioning.drain("b", 0, "ops")).isTrue();
        before.provisioning.setPaused("spot", true, "ops");
        String sessionA = before.sessions.get("a");
        String sessionB = before.sessions.get("b");

        Life after = new Life();
        clock.advance(Duration.ofSeconds(30)); // agents take a while to reconnect: longer than the Suspect time
        after.registry.sweep();
        assertThat(after.state("a")).isEqualTo(NodeState.DRAINING);
        assertThat(after.state("b")).isEqualTo(NodeState.DRAINING);
        assertThat(after.provisioning.paused()).containsExactly("spot");
        TestFleet.Link b = after.connect("b", sessionB, 0);
        assertThat(b.sent(Drain.class)).as("the unacknowledged Drain comes again").hasSize(1);
        after.reliable("b", new TaskFinished(1, new TaskRef(1, 2, 2), 0, 0, 1, -1, clock.millis()));
        after.reliable("b", new DrainState(2, DrainPhase.DRAINED, 0));
        assertThat(after.state("b")).isEqualTo(NodeState.DRAINED);

        after.connect("a", sessionA, 0);
        assertThat(after.state("a")).as("a reconnect does not undo a drain").isEqualTo(NodeState.DRAINING);
        clock.advance(Duration.ofSeconds(91));
        after.provisioning.enforceDeadlines();
        assertThat(after.task(1, 1).state()).as("the deadline passed: stopped and requeued")
                .isEqualTo(BuiltInQueue.State.READY);
        assertThat(after.links.get("a").sent(CancelTask.class)).hasSize(1);
    }

    @Test
    void aRequeueDecisionComesOnlyFromANodeThatLostItsTasks() {
        QueueJournal.TaskRecord onA = record(1, "a", BuiltInQueue.State.ACTIVE);
        QueueJournal.TaskRecord onB = record(2, "b", BuiltInQueue.State.ACTIVE);
        QueueJournal.TaskRecord onC = record(3, "c", BuiltInQueue.State.ACTIVE);
        QueueJournal.TaskRecord onGone = record(4, "g", BuiltInQueue.State.ACTIVE);
        QueueJournal.TaskRecord onForgotten = record(5, "x", BuiltInQueue.State.ACTIVE);
        QueueJournal.TaskRecord doneOnB = record(6, "b", BuiltInQueue.State.DONE);

        List<Reconciliation.Requeue> r = Reconciliation.requeues(List.of(onA, onB, onC, onGone, onForgotten, doneOnB),
                Map.of("a", NodeState.READY, "b", NodeState.EVICTING, "c", NodeState.DRAINING, "g", NodeState.GONE));

        assertThat(r).extracting(Reconciliation.Requeue::nodeId).containsExactly("b", "g", "x");
        assertThat(r).extracting(Reconciliation.Requeue::tellNode).containsExactly(true, false, false);
    }

    private static QueueJournal.TaskRecord record(int tid, String node, BuiltInQueue.State state) {
        return new QueueJournal.TaskRecord(new TaskRef(1, tid, tid), "shot", "blender",
                new BuiltInQueue.TaskSpec("f", List.of("x"), List.of(), ""), state, 1, 0, node, List.of(node),
                Instant.EPOCH);
    }
}
