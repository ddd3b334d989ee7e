package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.Node;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TaskView;
import dev.drover.coordinator.metrics.Metrics;
import dev.drover.protocol.Ack;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainMode;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.MessageCodec;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.ProtocolLimits;
import dev.drover.protocol.Reject;
import dev.drover.protocol.RejectReason;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import dev.drover.protocol.Welcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md, one behaviour per test, against the real gateway over TCP: handshake answers, streams across
 * reconnects, frame limits, liveness, shutdown, and what agent reports do. The gateway runs on a Vert.x with
 * one event loop, so a test can stall that loop the way a busy coordinator would.
 */
class ProtocolConformanceIT {
    private static final String TOKEN = "conformance-token-0123456789";
    private static final int INTERVAL = 1000;

    private Vertx vertx;
    private NodeRegistry registry;
    private AgentGatewayVerticle gateway;
    private String deployment;
    private CoordinatorConfig config;

    @BeforeEach
    void deploy() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        config = new CoordinatorConfig(new CoordinatorConfig.Gateway("127.0.0.1", 0, null, 5000, 3, null), null,
                new CoordinatorConfig.Liveness(INTERVAL, 0, 3, 60_000), new CoordinatorConfig.Enrolment(List.of(TOKEN), null));
        registry = new NodeRegistry(Clock.systemUTC(), config.liveness().settings(), 100);
        gateway = new AgentGatewayVerticle(config, registry, new EnrolmentTokens(List.of(TOKEN)), new AtomicInteger(),
                new Metrics());
        deployment = vertx.deployVerticle(gateway).await();
    }

    @AfterEach
    void close() {
        vertx.close().await();
    }

    private static Hello hello(String nodeId, int min, int max) {
        return new Hello(min, max, "conformance", NodeIdentity.local(nodeId, "p"), 2, 0, TOKEN, "", 0);
    }

    private static Hello streamHello(String nodeId, String agentStream, String commandStream, long commandSeq) {
        return hello(nodeId, 1, 1).withStreams(agentStream, commandStream, commandSeq);
    }

    private WireClient connect() throws Exception {
        return new WireClient(gateway.actualPort());
    }

    /** Node credentials issued so far, presented again as a real agent does from its state directory. */
    private final java.util.Map<String, String> credentials = new java.util.HashMap<>();

    private Welcome welcome(WireClient c, Hello hello) throws Exception {
        String id = hello.identity().nodeId();
        c.send(credentials.containsKey(id) ? hello.withProof(credentials.get(id), "") : hello);
        Message m = c.receive();
        assertThat(m).isInstanceOf(Welcome.class);
        Welcome w = (Welcome) m;
        if (!w.nodeCredential().isEmpty()) {
            credentials.put(id, w.nodeCredential());
        }
        return w;
    }

    /** The next message that is not a keepalive Ack. */
    private static Message nextNews(WireClient c) throws Exception {
        while (true) {
            Message m = c.receive();
            if (!(m instanceof Ack)) {
                return m;
            }
        }
    }

    /** Reads up to Ack(seq); keepalive Acks of an earlier position may come first, nothing else may. */
    private static void awaitAck(WireClient c, long seq) throws Exception {
        while (true) {
            Message m = c.receive();
            assertThat(m).as("waiting for Ack(%d)", seq).isInstanceOf(Ack.class);
            long got = ((Ack) m).seq();
            if (got == seq) {
                return;
            }
            assertThat(got).as("an earlier keepalive position").isLessThan(seq);
        }
    }

    private static Heartbeat beat() {
        return new Heartbeat(System.currentTimeMillis(), AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(), false, 0);
    }

    /** Everything sent before this has been processed once the Pong is back. */
    private static void fence(WireClient c, long nonce) throws Exception {
        c.send(new Ping(nonce));
        assertThat(nextNews(c)).isEqualTo(new Pong(nonce));
    }

    private Node node(String id) {
        return registry.find(id).orElseThrow();
    }

    // §6.1 Handshake

    @Test
    void rangeFromZeroToOneIsWelcomedAtVersionOne() throws Exception {
        try (WireClient c = connect()) {
            assertThat(welcome(c, hello("v1", 0, 1)).version()).isEqualTo(1);
        }
    }

    @Test
    void rangesWithoutACommonVersionOrUpsideDownGetUnsupportedVersionWithOurRange() throws Exception {
        for (int[] range : List.of(new int[] {0, 0}, new int[] {3, 1}, new int[] {2, 9})) {
            try (WireClient c = connect()) {
                c.send(hello("v" + range[0] + range[1], range[0], range[1]));
                assertThat(c.receive()).as("range %d..%d", range[0], range[1]).isInstanceOfSatisfying(Reject.class, r -> {
                    assertThat(r.reason()).isEqualTo(RejectReason.UNSUPPORTED_VERSION);
                    assertThat(r.minVersion()).isEqualTo(1);
                    assertThat(r.maxVersion()).isEqualTo(1);
                });
                assertThat(c.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void blankNodeIdGetsInvalidHello() throws Exception {
        try (WireClient c = connect()) {
            c.send(hello("  ", 1, 1));
            assertThat(c.receive()).isInstanceOfSatisfying(Reject.class,
                    r -> assertThat(r.reason()).isEqualTo(RejectReason.INVALID_HELLO));
            assertThat(c.closedByServer()).isTrue();
            assertThat(registry.size()).isZero();
        }
    }

    @Test
    void connectionOverTheLimitGetsOverloaded() throws Exception {
        try (WireClient a = connect(); WireClient b = connect(); WireClient c = connect(); WireClient d = connect()) {
            welcome(a, hello("a", 1, 1));
            welcome(b, hello("b", 1, 1));
            welcome(c, hello("c", 1, 1));
            d.send(hello("d", 1, 1));
            assertThat(d.receive()).isInstanceOfSatisfying(Reject.class,
                    r -> assertThat(r.reason()).isEqualTo(RejectReason.OVERLOADED));
            assertThat(d.closedByServer()).isTrue();
            fence(a, 1);
        }
    }

    // §6.3 Streams

    @Test
    void reliableMessageWithSeqZeroIsAProtocolError() throws Exception {
        try (WireClient c = connect()) {
            welcome(c, streamHello("z", "a-z", "", 0));
            ByteBuf frame = Unpooled.buffer();
            MessageCodec.encode(new DrainState(1, DrainPhase.DRAINING, 0), frame, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
            frame.setLong(5, 0); // seq follows the length and the type byte
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            c.sendRaw(bytes);
            assertThat(nextNews(c)).isInstanceOfSatisfying(Bye.class, b -> {
                assertThat(b.reason()).isEqualTo(ByeReason.PROTOCOL_ERROR);
                assertThat(b.detail()).contains("drainState.seq must be >= 1, got 0");
            });
        }
    }

    @Test
    void agentStreamPositionSurvivesReconnectsAndANewStreamCountsFromZero() throws Exception {
        TaskRef t1 = new TaskRef(1, 1, 1);
        TaskRef t2 = new TaskRef(1, 2, 1);
        try (WireClient c = connect()) {
            welcome(c, streamHello("s", "a-1", "", 0));
            c.send(new TaskStarted(1, t1, 0, 10));
            awaitAck(c, 1);
            c.send(new TaskStarted(2, t2, 0, 11));
            awaitAck(c, 2);
        }
        try (WireClient c = connect()) {
            // a new agent process with the same (durable) stream: the coordinator says how far it got
            assertThat(welcome(c, streamHello("s", "a-1", "", 0)).lastReceivedSeq()).isEqualTo(2);
            c.send(new TaskFinished(2, t2, 0, 0, 5, -1, 0)); // a resend of seq 2 with other content: a duplicate
            awaitAck(c, 2);
            fence(c, 2);
            assertThat(node("s").runningTaskRefs()).containsExactly(t1, t2);
        }
        try (WireClient c = connect()) {
            // a new agent stream (an agent that lost its outbox) starts again at 1, and its seq 1 is new
            assertThat(welcome(c, streamHello("s", "a-2", "", 0)).lastReceivedSeq()).isZero();
            c.send(new TaskFinished(1, t1, 0, 0, 5, -1, 0));
            awaitAck(c, 1);
            fence(c, 3);
            assertThat(node("s").runningTaskRefs()).containsExactly(t2);
        }
    }

    @Test
    void commandsAreAcknowledgedByAPositionInTheCurrentStreamOnly() throws Exception {
        String stream;
        try (WireClient c = connect()) {
            stream = welcome(c, streamHello("k", "a-k", "", 0)).commandStreamId();
            assertThat(stream).isNotBlank();
            node("k").sendCommand(seq -> new CancelTask(seq, new TaskRef(5, 1, 1), "first"));
            assertThat(nextNews(c)).isInstanceOfSatisfying(CancelTask.class, t -> assertThat(t.seq()).isEqualTo(1));
        }
        try (WireClient c = connect()) {
            // the agent processed seq 1 of a stream this coordinator does not have: nothing is acknowledged
            assertThat(welcome(c, streamHello("k", "a-k", "c-of-an-earlier-coordinator", 1)).commandStreamId())
                    .isEqualTo(stream);
            assertThat(nextNews(c)).isInstanceOfSatisfying(CancelTask.class, t -> assertThat(t.reason()).isEqualTo("first"));
        }
        try (WireClient c = connect()) {
            // seq 1 of this very stream: acknowledged, not resent
            welcome(c, streamHello("k", "a-k", stream, 1));
            fence(c, 4);
        }
    }

    // §6.4 Frame length

    @Test
    void noFrameLongerThanTheAgentsStatedLimitIsSent() throws Exception {
        try (WireClient c = connect()) {
            Welcome w = welcome(c, streamHello("f", "a-f", "", 0).withMaxFrameLength(2048));
            assertThat(w.maxFrameLength()).isEqualTo(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
            node("f").sendCommand(seq -> new CancelTask(seq, new TaskRef(1, 1, 1), "x".repeat(3000)));
            node("f").sendCommand(seq -> new CancelTask(seq, new TaskRef(1, 2, 1), "fits"));
            assertThat(nextNews(c)).isInstanceOfSatisfying(CancelTask.class, t -> assertThat(t.reason()).isEqualTo("fits"));
        }
    }

    // §6.5 Liveness

    @Test
    void coordinatorWithNothingToSaySendsAKeepaliveAckWithoutBeingPingedAndNoMore() throws Exception {
        try (WireClient c = connect()) {
            welcome(c, streamHello("ka", "a-ka", "", 0));
            List<Message> received = new ArrayList<>();
            // beats only after the Welcome: a heartbeat before the Hello is a protocol error
            try (Beating beating = new Beating(c)) {
                long end = System.nanoTime() + Duration.ofSeconds(11).toNanos();
                while (System.nanoTime() < end) {
                    received.add(c.receive());
                }
            }
            // 11 s of heartbeats at 1 s: the gateway writes every 4 s (PROTOCOL.md §6.5); every 2 s would be 5 or 6
            assertThat(received).allSatisfy(m -> assertThat(m).isEqualTo(new Ack(0)));
            assertThat(received).hasSizeBetween(1, 4);
        }
    }

    /** An agent that beats every interval from its own thread until closed. */
    private static final class Beating implements AutoCloseable {
        private final AtomicBoolean on = new AtomicBoolean(true);
        private final Thread thread;

        Beating(WireClient c) {
            thread = new Thread(() -> {
                while (on.get()) {
                    try {
                        c.send(beat());
                        Thread.sleep(INTERVAL);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            on.set(false);
            thread.join();
        }
    }

    @Test
    void silentAgentGetsIdleTimeoutAndIsShownDisconnectedBeforeItCouldBeLost() throws Exception {
        try (WireClient c = connect()) {
            welcome(c, streamHello("quiet", "a-q", "", 0));
            long silentSince = System.nanoTime();
            Message bye = nextNewsWithin(c, 30_000);
            long after = Duration.ofNanos(System.nanoTime() - silentSince).toMillis();
            assertThat(bye).isInstanceOfSatisfying(Bye.class, b -> assertThat(b.reason()).isEqualTo(ByeReason.IDLE_TIMEOUT));
            await().atMost(Duration.ofSeconds(30)).until(() -> !node("quiet").snapshot().connected());
            assertThat(after).as("closed at the Suspect time (%d ms), long before Lost (60 s)", after)
                    .isLessThan(config.liveness().lostAfterMillis());
        }
    }

    @Test
    void aStalledCoordinatorLoopDropsNobody() throws Exception {
        try (WireClient c = connect()) {
            welcome(c, streamHello("stall", "a-s", "", 0));
            try (Beating beating = new Beating(c)) {
                Thread.sleep(1500);
                // the gateway's only event loop is busy for 3.5 s (more than the Suspect time of 3 s)
                vertx.runOnContext(v -> sleepQuietly(3500));
                Thread.sleep(6000);
            }
            List<Message> received = new ArrayList<>();
            c.send(new Ping(9));
            Message m;
            while (!((m = c.receive()) instanceof Pong) && m != null) {
                received.add(m);
            }
            assertThat(m).as("connection still open").isEqualTo(new Pong(9));
            assertThat(received).allSatisfy(x -> assertThat(x).isInstanceOf(Ack.class));
            assertThat(node("stall").snapshot().connected()).isTrue();
        }
    }

    private Message nextNewsWithin(WireClient c, long millis) throws Exception {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            Message m = nextNews(c);
            if (m != null) {
                return m;
            }
        }
        return null;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // §6.6 Shutdown

    @Test
    void stoppingCoordinatorSaysByeShutdownAndLeavesTheNodeAsItWas() throws Exception {
        try (WireClient c = connect()) {
            welcome(c, streamHello("bye", "a-b", "", 0));
            c.send(new TaskStarted(1, new TaskRef(2, 1, 1), 0, 10));
            awaitAck(c, 1);
            vertx.undeploy(deployment).await();
            assertThat(nextNews(c)).isInstanceOfSatisfying(Bye.class, b -> assertThat(b.reason()).isEqualTo(ByeReason.SHUTDOWN));
            NodeSnapshot n = node("bye").snapshot();
            assertThat(n.state()).isEqualTo(NodeState.READY);
            assertThat(n.connected()).isFalse();
            assertThat(n.runningTasks()).extracting(TaskView::task).containsExactly(new TaskRef(2, 1, 1));
        }
    }

    // §7 Application semantics

    @Test
    void progressIsLatestByAtMillisAndPercentNeverGoesDown() throws Exception {
        TaskRef t = new TaskRef(3, 1, 1);
        try (WireClient c = connect()) {
            welcome(c, streamHello("p", "a-p", "", 0));
            c.send(new TaskStarted(1, t, 0, 10));
            awaitAck(c, 1);
            c.send(new TaskProgress(t, 50f, 10, 60, 2000));
            c.send(new TaskProgress(t, 40f, 11, 50, 3000)); // newer, lower percent: frame moves, percent stays
            c.send(new TaskProgress(t, 90f, 99, 5, 1000)); // older: ignored
            fence(c, 5);
            TaskView v = node("p").snapshot().runningTasks().get(0);
            assertThat(v.percent()).isEqualTo(50f);
            assertThat(v.frame()).isEqualTo(11);
        }
    }

    @Test
    void reportsForTasksTheCoordinatorNeverGaveAreAcknowledgedAndRecorded() throws Exception {
        try (WireClient c = connect()) {
            welcome(c, streamHello("u", "a-u", "", 0));
            c.send(new TaskFinished(1, new TaskRef(77, 1, 1), 0, 0, 10, -1, 0));
            awaitAck(c, 1);
            assertThat(node("u").snapshot().recentTasks()).extracting(TaskView::task).containsExactly(new TaskRef(77, 1, 1));
        }
    }

    @Test
    void drainIsAnsweredWithDrainStateAndCancelReturnsTheNodeToWork() throws Exception {
        try (WireClient c = connect()) {
            welcome(c, streamHello("d", "a-d", "", 0));
            assertThat(registry.drain("d", 0, "scale-in")).isTrue();
            assertThat(nextNews(c)).isInstanceOfSatisfying(Drain.class,
                    d -> assertThat(d.mode()).isEqualTo(DrainMode.ON_COMPLETION));
            c.send(new DrainState(1, DrainPhase.DRAINING, 0));
            c.send(new DrainState(2, DrainPhase.CANCELLED, 0));
            awaitAck(c, 1);
            awaitAck(c, 2);
            assertThat(node("d").state()).isEqualTo(NodeState.READY);
            assertThat(registry.drain("d", 0, "scale-in again")).isTrue();
            nextNews(c);
            c.send(new DrainState(3, DrainPhase.DRAINED, 0));
            awaitAck(c, 3);
            assertThat(node("d").state()).isEqualTo(NodeState.DRAINED);
        }
    }
}
