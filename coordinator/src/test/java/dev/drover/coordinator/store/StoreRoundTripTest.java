package dev.drover.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.NodeJournal;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.Transition;
import dev.drover.coordinator.provision.ProvisionJournal;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.queue.QueueJournal;
import dev.drover.coordinator.scaling.ScalingJournal;
import dev.drover.coordinator.scaling.ScalingLoop;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainMode;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Priority;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every table written, the store closed and opened again, and read back as it was. */
class StoreRoundTripTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    @TempDir
    Path dir;

    private StateStore reopen(StateStore store) {
        store.close();
        return StateStore.open(dir.resolve("c.db").toString(), "NORMAL");
    }

    private static NodeJournal.NodeRecord node(String id, long version, NodeState state, EvictionNotice eviction) {
        NodeIdentity identity = new NodeIdentity(id, "vm-1", id, "vmss-spot", "7", "Standard_D16s_v5", Priority.SPOT,
                "westeurope", "2", "spot");
        return new NodeJournal.NodeRecord(id, version, identity, "0.1.0", 1, 4, 1, state, "because " + version,
                T0.plusSeconds(version), T0, eviction);
    }

    @Test
    void nodesLedgerTasksAndCommandsComeBackAsTheyWere() {
        StateStore store = StateStore.open(dir.resolve("c.db").toString(), "NORMAL");
        FleetStore fleet = new FleetStore(store, true);
        EvictionNotice notice = new EvictionNotice(3, "ev-1", EvictionType.PREEMPT, 1_800_000_000_000L, "spot", 5);
        fleet.node(node("a", 1, NodeState.READY, null));
        fleet.node(node("a", 3, NodeState.EVICTING, notice));
        fleet.node(node("a", 2, NodeState.BUSY, null)); // older: must not win
        for (int i = 0; i < FleetStore.HISTORY + 5; i++) {
            fleet.transition("a", new Transition(NodeState.READY, NodeState.BUSY, "t" + i, T0.plusSeconds(i)));
        }
        TaskRef running = new TaskRef(4, 1, 1);
        TaskRef done = new TaskRef(4, 2, 2);
        fleet.taskStarted("a", running, T0);
        fleet.taskStarted("a", done, T0);
        fleet.taskFinished("a", "spot", new TaskFinished(5, done, 0, 0, 1000, -1, T0.toEpochMilli()));
        fleet.ledger("a", "s-1", 5);
        fleet.commandQueued("a", "c-1", new RunTask(1, running, "blender", List.of("render", "-f", "1"), List.of("A=b"), "/"),
                0);
        fleet.commandQueued("a", "c-1", new CancelTask(2, done, "requeued"), 0);
        fleet.commandQueued("a", "c-1", new Drain(3, DrainMode.DEADLINE, 99, "scale-in"), 0);
        fleet.commandsAcknowledged("a", 1);
        fleet.node(node("gone", 1, NodeState.GONE, null));
        fleet.taskStarted("gone", running, T0);
        fleet.forget("gone");

        store = reopen(store);
        fleet = new FleetStore(store, true);
        List<NodeJournal.RememberedNode> nodes = fleet.loadNodes();

        assertThat(nodes).hasSize(1);
        NodeJournal.RememberedNode a = nodes.get(0);
        assertThat(a.node()).isEqualTo(node("a", 3, NodeState.EVICTING, notice));
        assertThat(a.history()).hasSize(FleetStore.HISTORY);
        assertThat(a.history().get(0).reason()).isEqualTo("t5");
        assertThat(a.history().get(FleetStore.HISTORY - 1).reason()).isEqualTo("t" + (FleetStore.HISTORY + 4));
        assertThat(a.running()).extracting(t -> t.task()).containsExactly(running);
        assertThat(a.streamId()).isEqualTo("s-1");
        assertThat(a.receivedSeq()).isEqualTo(5);
        assertThat(fleet.load("a")).contains(new DeliveryLedgerStore.Entry("s-1", 5));
        assertThat(a.commandSeq()).isEqualTo(3);
        assertThat(a.pendingCommands()).containsExactly(new CancelTask(2, done, "requeued"),
                new Drain(3, DrainMode.DEADLINE, 99, "scale-in"));
        assertThat(new QueueStore(store).load().pendingFinishes()).singleElement()
                .satisfies(f -> assertThat(f.finished().task()).isEqualTo(done));
        store.close();
    }

    @Test
    void commandsThatFellOutOfAFullOutboxAreNotKept() {
        try (StateStore store = StateStore.open(dir.resolve("c.db").toString(), "NORMAL")) {
            FleetStore fleet = new FleetStore(store, false);
            fleet.node(node("a", 1, NodeState.READY, null));
            for (int seq = 1; seq <= 20; seq++) {
                fleet.commandQueued("a", "c-1", new CancelTask(seq, new TaskRef(1, seq, seq), "x"), seq - 16);
            }
            NodeJournal.RememberedNode a = fleet.loadNodes().get(0);
            assertThat(a.commandSeq()).isEqualTo(20);
            assertThat(a.pendingCommands()).hasSize(16).first().satisfies(c -> assertThat(c.seq()).isEqualTo(5));
        }
    }

    @Test
    void theQueueComesBackWithItsTasksCountersAndUnappliedFinishes() {
        StateStore store = StateStore.open(dir.resolve("c.db").toString(), "NORMAL");
        QueueStore queue = new QueueStore(store);
        BuiltInQueue.TaskSpec one = new BuiltInQueue.TaskSpec("frame 1", List.of("sh", "-c", "echo \"1\""),
                List.of("FRAME=1"), "/tmp");
        BuiltInQueue.TaskSpec two = new BuiltInQueue.TaskSpec("frame 2", List.of("sh"), List.of(), "");
        BuiltInQueue.JobSpec job = new BuiltInQueue.JobSpec("shot", "Blender", List.of(one, two));
        QueueJournal.TaskRecord r1 = new QueueJournal.TaskRecord(new TaskRef(7, 1, 1), "shot", "blender", one,
                BuiltInQueue.State.READY, 0, 0, "", List.of(), T0);
        QueueJournal.TaskRecord r2 = new QueueJournal.TaskRecord(new TaskRef(7, 2, 2), "shot", "blender", two,
                BuiltInQueue.State.READY, 0, 0, "", List.of(), T0);
        queue.jobSubmitted(7, job, T0, List.of(r1, r2), 8);
        QueueJournal.TaskRecord active = new QueueJournal.TaskRecord(r1.ref(), "shot", "blender", one,
                BuiltInQueue.State.ACTIVE, 2, 1, "node-b", List.of("node-a", "node-b"), T0.plusSeconds(9));
        queue.task(active);
        FleetStore fleet = new FleetStore(store, true);
        fleet.node(node("node-b", 1, NodeState.BUSY, null));
        fleet.taskFinished("node-b", "spot", new TaskFinished(1, r2.ref(), 0, 0, 10, -1, 1));
        fleet.taskFinished("node-b", "spot", new TaskFinished(2, r1.ref(), 3, 0, 10, -1, 2));
        queue.finishApplied("node-b", r2.ref());

        store = reopen(store);
        QueueJournal.Remembered q = new QueueStore(store).load();

        assertThat(q.nextJid()).isEqualTo(8);
        assertThat(q.tasks()).containsExactly(active, r2);
        assertThat(q.pendingFinishes()).singleElement().satisfies(f -> {
            assertThat(f.nodeId()).isEqualTo("node-b");
            assertThat(f.pool()).isEqualTo("spot");
            assertThat(f.finished().task()).isEqualTo(r1.ref());
            assertThat(f.finished().exitCode()).isEqualTo(3);
        });
        store.close();
    }

    @Test
    void poolSettingsDrainsDeletesAndDecisionsComeBack() {
        StateStore store = StateStore.open(dir.resolve("c.db").toString(), "NORMAL");
        PoolStore pools = new PoolStore(store);
        pools.paused("spot", true, "ops", T0);
        pools.paused("gpu", true, "ops", T0);
        pools.paused("gpu", false, "ops", T0);
        pools.limits("spot", 2, 7, T0);
        pools.drainStarted(new ProvisionJournal.Drain("a", 0, "scaler: idle", T0));
        pools.drainStarted(new ProvisionJournal.Drain("b", 1_900_000_000_000L, "operator ops", T0));
        pools.drainStarted(new ProvisionJournal.Drain("c", 0, "operator ops", T0));
        pools.drainEnded("c");
        ProvisionJournal.PendingDelete d1 = new ProvisionJournal.PendingDelete("spot", "3", "a", "drained",
                ProvisionJournal.Step.DELETE, T0);
        ProvisionJournal.PendingDelete d2 = new ProvisionJournal.PendingDelete("spot", "4", "", "failed boot",
                ProvisionJournal.Step.DELETE, T0.plusSeconds(1));
        pools.deletePending(d1);
        pools.deletePending(d2);
        ProvisionJournal.PendingDelete d1Delist = new ProvisionJournal.PendingDelete("spot", "3", "a", "drained",
                ProvisionJournal.Step.DELIST, T0.plusSeconds(2));
        pools.deletePending(d1Delist);
        pools.deleteDone("spot", "4");
        for (int i = 0; i < 8; i++) {
            pools.decided("spot", new ScalingLoop.Decision(T0.plusSeconds(i), i, i, "reason " + i), 5);
        }

        store = reopen(store);
        pools = new PoolStore(store);
        ProvisionJournal.Remembered p = pools.loadProvisioning();
        ScalingJournal.Remembered s = pools.loadScaling();

        assertThat(p.paused()).containsExactly("spot");
        assertThat(p.drains()).containsExactly(new ProvisionJournal.Drain("a", 0, "scaler: idle", T0),
                new ProvisionJournal.Drain("b", 1_900_000_000_000L, "operator ops", T0));
        assertThat(p.drains().get(1).mode()).isEqualTo("DEADLINE");
        assertThat(p.deletes()).containsExactly(d1Delist);
        assertThat(s.limits()).containsEntry("spot", new ScalingJournal.Limits(2, 7)).hasSize(1);
        assertThat(s.decisions().get("spot")).extracting(ScalingLoop.Decision::reason)
                .containsExactly("reason 3", "reason 4", "reason 5", "reason 6", "reason 7");
        store.close();
    }

    @Test
    void aLateLivenessMoveNeverRevivesAForgottenNodeNorOverwritesANewerOrAnotherEnrolment() {
        StateStore store = StateStore.open(dir.resolve("c.db").toString(), "NORMAL");
        FleetStore fleet = new FleetStore(store, true);
        Transition busy = new Transition(NodeState.READY, NodeState.BUSY, "1 task(s) running", T0);
        fleet.node(node("a", 5, NodeState.DRAINING, null));
        fleet.livenessMove(node("a", 4, NodeState.BUSY, null), busy); // older than what is kept
        NodeJournal.NodeRecord otherEnrolment = node("a", 9, NodeState.BUSY, null);
        fleet.livenessMove(new NodeJournal.NodeRecord("a", 9, otherEnrolment.identity(), "0.1.0", 1, 4, 1,
                NodeState.BUSY, "x", T0, T0.plusSeconds(60), null), busy); // the id enrolled again since
        fleet.livenessMove(node("gone", 2, NodeState.BUSY, null), busy); // forgotten before this was kept
        fleet.node(node("b", 1, NodeState.READY, null));
        fleet.livenessMove(node("b", 2, NodeState.BUSY, null), busy); // the ordinary case

        store = reopen(store);
        List<NodeJournal.RememberedNode> nodes = new FleetStore(store, true).loadNodes();

        assertThat(nodes).extracting(n -> n.node().id()).containsExactly("a", "b");
        assertThat(nodes.get(0).node().state()).isEqualTo(NodeState.DRAINING);
        assertThat(nodes.get(0).node().version()).isEqualTo(5);
        assertThat(nodes.get(0).history()).isEmpty();
        assertThat(nodes.get(1).node().state()).isEqualTo(NodeState.BUSY);
        assertThat(nodes.get(1).history()).containsExactly(busy);
        store.close();
    }
}
