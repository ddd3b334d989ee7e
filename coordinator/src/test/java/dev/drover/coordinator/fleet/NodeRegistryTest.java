package dev.drover.coordinator.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.protocol.AgentState;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainMode;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Welcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeRegistryTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));
    private final NodeRegistry registry = new NodeRegistry(clock,
            new LivenessSettings(Duration.ofSeconds(5), 20, 3, Duration.ofSeconds(60)), 100);

    /** Records what the registry sends to an agent. */
    static final class RecordingLink implements AgentLink {
        final List<Message> sent = new ArrayList<>();
        ByeReason closedWith;

        @Override
        public void send(Message message) {
            sent.add(message);
        }

        @Override
        public void close(ByeReason reason, String detail) {
            closedWith = reason;
        }

        @Override
        public String remoteAddress() {
            return "10.0.0.4:50000";
        }
    }

    private static Hello hello(String nodeId, String previousSession, long lastReceived) {
        return new Hello(1, 1, "test", NodeIdentity.local(nodeId, "p"), 1, 0, "t", previousSession, lastReceived);
    }

    private Node.Binding enrol(Hello hello, RecordingLink link) {
        return registry.enrol(hello, 1, link, b -> new Welcome(1, b.sessionId(), hello.identity().nodeId(),
                b.resumed(), 0, 5000, 20, 65536, 0, b.commandStreamId()));
    }

    private static Heartbeat beat(int running) {
        return new Heartbeat(0, running > 0 ? AgentState.BUSY : AgentState.IDLE, running, HostMetrics.UNKNOWN,
                List.of(), false, 0);
    }

    @Test
    void firstHelloCreatesReadyNodeAndWelcomesIt() {
        RecordingLink link = new RecordingLink();

        Node.Binding b = enrol(hello("n1", "", 0), link);

        assertThat(b.resumed()).isFalse();
        assertThat(link.sent).hasSize(1).first().isInstanceOf(Welcome.class);
        NodeSnapshot n = registry.find("n1").orElseThrow().snapshot();
        assertThat(n.state()).isEqualTo(NodeState.READY);
        assertThat(n.stateReason()).contains("enrolled from 10.0.0.4:50000 (new session)");
        assertThat(registry.find("n1").orElseThrow().detail().history()).extracting(Transition::to).containsExactly(NodeState.READY);
    }

    @Test
    void reconnectNamingTheSessionResumesIt() {
        Node.Binding first = enrol(hello("n1", "", 0), new RecordingLink());

        RecordingLink second = new RecordingLink();
        Node.Binding resumed = enrol(hello("n1", first.sessionId(), 0), second);

        assertThat(resumed.resumed()).isTrue();
        assertThat(resumed.sessionId()).isEqualTo(first.sessionId());
        assertThat(resumed.commandStreamId()).as("one command stream per node").isEqualTo(first.commandStreamId());
        assertThat(registry.size()).isEqualTo(1);
    }

    @Test
    void restartedAgentGetsNewSessionForTheSameNode() {
        Node.Binding first = enrol(hello("n1", "", 0), new RecordingLink());

        Node.Binding fresh = enrol(hello("n1", "", 0), new RecordingLink());

        assertThat(fresh.resumed()).isFalse();
        assertThat(fresh.sessionId()).isNotEqualTo(first.sessionId());
        assertThat(registry.size()).isEqualTo(1);
    }

    @Test
    void commandPositionInAnotherStreamAcknowledgesNothing() {
        // given two commands queued for a node
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();
        node.sendCommand(seq -> new Drain(seq, DrainMode.ON_COMPLETION, 0, "a"));
        node.sendCommand(seq -> new Drain(seq, DrainMode.ON_COMPLETION, 0, "b"));

        // when the agent reconnects having processed seq 2 of a stream from an earlier coordinator process
        RecordingLink link = new RecordingLink();
        Node.Binding b = enrol(hello("n1", "", 2).withStreams("a-1", "c-from-before", 2), link);

        // then both commands are resent after the Welcome, which names this node's stream
        assertThat(link.sent).hasSize(3);
        assertThat(((Welcome) link.sent.get(0)).commandStreamId()).isEqualTo(b.commandStreamId()).isNotBlank();
        assertThat(link.sent.subList(1, 3)).extracting(m -> ((Drain) m).reason()).containsExactly("a", "b");

        // and a position in this very stream does acknowledge
        RecordingLink again = new RecordingLink();
        enrol(hello("n1", "", 2).withStreams("a-1", b.commandStreamId(), 2), again);
        assertThat(again.sent).hasSize(1);
    }

    @Test
    void newConnectionSupersedesTheOldOne() {
        RecordingLink old = new RecordingLink();
        enrol(hello("n1", "", 0), old);

        Node.Binding b = enrol(hello("n1", "", 0), new RecordingLink());

        assertThat(b.replaced()).contains(old);
        assertThat(old.closedWith).isEqualTo(ByeReason.SUPERSEDED);
    }

    @Test
    void evictionNoticeMakesTheNodeEvicting() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();
        EvictionNotice notice = new EvictionNotice(1, "ev-1", EvictionType.PREEMPT, 1_780_000_030_000L, "evicted", 0);

        registry.reliable(node, notice);

        assertThat(node.snapshot().state()).isEqualTo(NodeState.EVICTING);
        assertThat(node.snapshot().stateReason()).isEqualTo(
                "PREEMPT notice ev-1, not before " + Instant.ofEpochMilli(1_780_000_030_000L));
    }

    @Test
    void freezeNoticeIsRecordedButDoesNotEvict() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();

        registry.reliable(node, new EvictionNotice(1, "ev-2", EvictionType.FREEZE, 0, "host update", 0));

        assertThat(node.snapshot().state()).isEqualTo(NodeState.READY);
        assertThat(node.snapshot().eviction().eventType()).isEqualTo(EvictionType.FREEZE);
    }

    @Test
    void aCancelledPreemptReturnsTheNodeToReadyAndClearsTheNotice() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();
        registry.reliable(node, new EvictionNotice(1, "ev-3", EvictionType.PREEMPT, 1_780_000_030_000L, "", 0));
        assertThat(node.snapshot().state()).isEqualTo(NodeState.EVICTING);

        registry.reliable(node, new dev.drover.protocol.EvictionEnded(2, "ev-other", EvictionType.PREEMPT, 1));
        assertThat(node.snapshot().state()).as("another event ended: still evicting").isEqualTo(NodeState.EVICTING);

        registry.reliable(node, new dev.drover.protocol.EvictionEnded(3, "ev-3", EvictionType.PREEMPT, 1));

        assertThat(node.snapshot().state()).isEqualTo(NodeState.READY);
        assertThat(node.snapshot().stateReason()).contains("eviction cancelled").contains("ev-3");
        assertThat(node.snapshot().eviction()).isNull();
        registry.heartbeat(node, beat(1));
        assertThat(node.snapshot().state()).as("heartbeats count again").isEqualTo(NodeState.BUSY);
    }

    @Test
    void anEndedFreezeIsNoLongerShown() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();
        registry.reliable(node, new EvictionNotice(1, "ev-4", EvictionType.FREEZE, 0, "host update", 0));

        registry.reliable(node, new dev.drover.protocol.EvictionEnded(2, "ev-4", EvictionType.FREEZE, 1));

        assertThat(node.snapshot().eviction()).isNull();
        assertThat(node.snapshot().state()).isEqualTo(NodeState.READY);
    }

    @Test
    void heartbeatsMoveBetweenReadyAndBusyButNotOutOfEvicting() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();

        registry.heartbeat(node, beat(2));
        assertThat(node.snapshot().state()).isEqualTo(NodeState.BUSY);
        registry.heartbeat(node, beat(0));
        assertThat(node.snapshot().state()).isEqualTo(NodeState.READY);

        registry.reliable(node, new EvictionNotice(1, "ev", EvictionType.PREEMPT, 0, "", 0));
        registry.heartbeat(node, beat(0));
        assertThat(node.snapshot().state()).isEqualTo(NodeState.EVICTING);
    }

    @Test
    void anAgentSayingItStopsTakesNoWorkUntilItsNextProcessBeats() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();
        registry.heartbeat(node, beat(1));

        registry.heartbeat(node, new Heartbeat(0, AgentState.STOPPING, 1, HostMetrics.UNKNOWN, List.of(), false, 0));

        assertThat(node.state()).isEqualTo(NodeState.SUSPECT);
        assertThat(node.snapshot().stateReason()).isEqualTo("agent stopping");

        enrol(hello("n1", "", 0), new RecordingLink()); // the restarted agent process
        registry.heartbeat(node, beat(0));
        assertThat(node.state()).isEqualTo(NodeState.READY);
    }

    @Test
    void sweepMarksSilentNodesSuspectThenLostAndAHeartbeatRevivesThem() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();

        clock.advance(Duration.ofSeconds(19));
        assertThat(registry.sweep()).isEqualTo(1);
        assertThat(node.snapshot().state()).isEqualTo(NodeState.SUSPECT);
        clock.advance(Duration.ofSeconds(42));
        registry.sweep();
        assertThat(node.snapshot().state()).isEqualTo(NodeState.LOST);

        registry.heartbeat(node, beat(0));
        assertThat(node.snapshot().state()).isEqualTo(NodeState.READY);
        assertThat(node.snapshot().stateReason()).isEqualTo("heartbeat resumed");
    }

    @Test
    void livenessMovesAreKeptLaterAndEveryOtherMoveBeforeAnyoneActsOnIt() {
        List<String> kept = new ArrayList<>();
        registry.setJournal(new NodeJournal() {
            private String how = "";

            @Override
            public void atomically(Runnable body) {
                how = "now";
                body.run();
            }

            @Override
            public void eventually(Runnable body) {
                how = "later";
                body.run();
            }

            @Override
            public void transition(String nodeId, Transition t) {
                kept.add(how + " " + t.from() + ">" + t.to());
            }
        });
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();
        kept.clear(); // the enrolment itself, from no state yet

        registry.heartbeat(node, beat(1));
        registry.heartbeat(node, beat(0));
        clock.advance(Duration.ofSeconds(19));
        registry.sweep();
        registry.heartbeat(node, beat(0));
        clock.advance(Duration.ofSeconds(19));
        registry.sweep();
        clock.advance(Duration.ofSeconds(42));
        registry.sweep();
        registry.heartbeat(node, beat(0));

        assertThat(kept).containsExactly("later READY>BUSY", "later BUSY>READY", "later READY>SUSPECT",
                "later SUSPECT>READY", "later READY>SUSPECT", "now SUSPECT>LOST", "now LOST>READY");
    }

    @Test
    void commandsAreResentAfterReconnectUntilAcknowledged() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();
        node.sendCommand(seq -> new Drain(seq, DrainMode.ON_COMPLETION, 0, "scale-in"));
        node.sendCommand(seq -> new Drain(seq, DrainMode.CANCEL, 0, "operator"));

        // the agent reconnects having processed command 1 only
        RecordingLink again = new RecordingLink();
        enrol(hello("n1", node.sessionId(), 1), again);

        assertThat(again.sent).hasSize(2);
        assertThat(again.sent.get(0)).isInstanceOf(Welcome.class);
        assertThat(((Drain) again.sent.get(1)).seq()).isEqualTo(2);

        registry.commandsAcknowledged(node, 2);
        RecordingLink third = new RecordingLink();
        enrol(hello("n1", node.sessionId(), 2), third);
        assertThat(third.sent).hasSize(1);
    }

    @Test
    void goodbyeFromAnActiveNodeMakesItSuspectWithTheReason() {
        RecordingLink link = new RecordingLink();
        enrol(hello("n1", "", 0), link);
        Node node = registry.find("n1").orElseThrow();

        registry.disconnected(node, link, Optional.of("SHUTDOWN (agent stopping)"));

        assertThat(node.snapshot().state()).isEqualTo(NodeState.SUSPECT);
        assertThat(node.snapshot().stateReason()).isEqualTo("agent said goodbye: SHUTDOWN (agent stopping)");
        assertThat(node.snapshot().connected()).isFalse();
    }

    @Test
    void closingASupersededConnectionDoesNotUnbindTheNewOne() {
        RecordingLink old = new RecordingLink();
        enrol(hello("n1", "", 0), old);
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();

        registry.disconnected(node, old, Optional.empty());

        assertThat(node.snapshot().connected()).isTrue();
    }

    @Test
    void brokenMountMakesNodeUnhealthyUntilItRecoversButSlowIsStillHealthy() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();
        java.util.function.Function<dev.drover.protocol.MountState, Heartbeat> withMount = state -> new Heartbeat(0,
                AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(new dev.drover.protocol.MountHealth("/mnt/cache",
                        state, 5000, state == dev.drover.protocol.MountState.STALE ? "Stale file handle" : "")),
                false, 0);

        registry.heartbeat(node, withMount.apply(dev.drover.protocol.MountState.SLOW));
        assertThat(node.snapshot().state()).isEqualTo(NodeState.READY);
        registry.heartbeat(node, withMount.apply(dev.drover.protocol.MountState.STALE));
        assertThat(node.snapshot().state()).isEqualTo(NodeState.UNHEALTHY);
        assertThat(node.snapshot().stateReason()).isEqualTo("mount /mnt/cache STALE: Stale file handle");
        registry.heartbeat(node, withMount.apply(dev.drover.protocol.MountState.OK));
        assertThat(node.snapshot().state()).isEqualTo(NodeState.READY);
        assertThat(node.snapshot().stateReason()).isEqualTo("mounts healthy again");
    }

    @Test
    void drainedAgentMovesNodeToDrained() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node node = registry.find("n1").orElseThrow();
        node.transition(NodeState.DRAINING, "scale-in", clock.instant());

        registry.reliable(node, new DrainState(1, DrainPhase.DRAINED, 0));

        assertThat(node.snapshot().state()).isEqualTo(NodeState.DRAINED);
    }

    @Test
    void departedNodesAreForgottenAfterAnHour() {
        RecordingLink link = new RecordingLink();
        enrol(hello("gone", "", 0), link);
        enrol(hello("stays", "", 0), new RecordingLink());
        registry.mark("gone", NodeState.DELETED, "instance deleted");
        registry.disconnected(registry.find("gone").orElseThrow(), link, Optional.empty());
        clock.advance(NodeRegistry.FORGET_AFTER.minusMinutes(1));
        registry.sweep();
        assertThat(registry.find("gone")).isPresent();
        clock.advance(Duration.ofMinutes(2));
        registry.sweep();
        assertThat(registry.find("gone")).isEmpty();
        assertThat(registry.find("stays")).isPresent();
    }

    @Test
    void oneRoundSharesOneSnapshotAndListsAreLightButDetailHasHistory() {
        enrol(hello("n2", "", 0), new RecordingLink());
        enrol(hello("n1", "", 0), new RecordingLink());

        List<List<NodeSnapshot>> seen = new ArrayList<>();
        List<NodeSnapshot> shared = registry.shareDuring(fleet -> {
            seen.add(registry.snapshot());
            seen.add(registry.snapshot());
        });

        assertThat(seen).allSatisfy(s -> assertThat(s).isSameAs(shared));
        assertThat(registry.snapshot()).isNotSameAs(shared); // outside the round: a fresh copy
        assertThat(shared).extracting(NodeSnapshot::id).containsExactly("n1", "n2"); // id order without a sort
        assertThat(shared.get(0).history()).isEmpty();
        assertThat(registry.find("n1").orElseThrow().detail().history()).isNotEmpty();
    }

    @Test
    void changesCountGrowsWithWhatReadersCouldShow() {
        enrol(hello("n1", "", 0), new RecordingLink());
        Node n = registry.find("n1").orElseThrow();
        long before = n.changes();

        registry.alive(n); // no news
        long afterTouch = n.changes();
        registry.heartbeat(n, beat(1));

        assertThat(afterTouch).isEqualTo(before);
        assertThat(n.changes()).isGreaterThan(before);
    }

    @Test
    void pagesStartAfterTheCursor() {
        for (String id : List.of("c", "a", "b")) {
            enrol(hello(id, "", 0), new RecordingLink());
        }

        assertThat(registry.nodesAfter("a")).extracting(Node::id).containsExactly("b", "c");
        assertThat(registry.nodesAfter("")).extracting(Node::id).containsExactly("a", "b", "c");
    }

    @Test
    void stateChangeLinesAreBudgetedPerSecond() {
        StateChangeLog log = new StateChangeLog();
        long t0 = System.nanoTime();
        long dropped;
        for (int i = 0; i < StateChangeLog.PER_SECOND; i++) {
            assertThat(log.admit(t0 + i)).isGreaterThanOrEqualTo(0);
        }
        assertThat(log.admit(t0 + 100)).isEqualTo(-1);
        assertThat(log.admit(t0 + 200)).isEqualTo(-1);
        dropped = log.admit(t0 + 1_000_000_001L); // next second: reports what it dropped

        assertThat(dropped).isGreaterThanOrEqualTo(2);
    }

    @Test
    void anAgentInventingTasksCannotMakeTheCoordinatorKeepThemWithoutBound() {
        enrol(hello("n9", "", 0), new RecordingLink());
        Node node = registry.find("n9").orElseThrow();
        for (int i = 0; i < Node.MAX_RUNNING_TASKS + 500; i++) {
            registry.progress(node, new dev.drover.protocol.TaskProgress(
                    new dev.drover.protocol.TaskRef(i, 1, 1), 10, -1, -1, 1));
        }
        registry.reliable(node, new dev.drover.protocol.TaskStarted(1, new dev.drover.protocol.TaskRef(999_999, 1, 1), 1, 0));

        List<dev.drover.protocol.TaskRef> kept = node.runningTaskRefs();
        assertThat(kept).hasSize(Node.MAX_RUNNING_TASKS)
                .contains(new dev.drover.protocol.TaskRef(0, 1, 1))
                .doesNotContain(new dev.drover.protocol.TaskRef(999_999, 1, 1));
        // a task already kept still gets its progress
        registry.progress(node, new dev.drover.protocol.TaskProgress(new dev.drover.protocol.TaskRef(0, 1, 1), 55, -1,
                -1, 2));
        assertThat(node.detail().runningTasks()).anySatisfy(t -> assertThat(t.percent()).isEqualTo(55f));
    }
}
