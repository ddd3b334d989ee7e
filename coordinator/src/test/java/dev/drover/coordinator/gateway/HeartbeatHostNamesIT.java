package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.metrics.Metrics;
import dev.drover.protocol.Ack;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.Message;
import dev.drover.protocol.MessageCodec;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.ProtocolLimits;
import dev.drover.protocol.Welcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's side of Heartbeat extension 1 (PROTOCOL.md §4) against the real gateway: the names an agent
 * states are kept on its node until it states others, heartbeats without them change nothing, and a malformed
 * entry is a protocol error for that connection only.
 */
class HeartbeatHostNamesIT {
    private static final String TOKEN = "host-names-token-0123456789";
    private static final HostNames NAMES = new HostNames(List.of("rndr-a7", "rndr-a7.studio.lan"),
            List.of("10.20.0.4", "fd00::4"));
    private Vertx vertx;
    private NodeRegistry registry;
    private AgentGatewayVerticle gateway;

    @BeforeEach
    void deploy() {
        vertx = Vertx.vertx();
        CoordinatorConfig config = new CoordinatorConfig(new CoordinatorConfig.Gateway("127.0.0.1", 0, null, 5000, 10,
                null), null, new CoordinatorConfig.Liveness(1000, 0, 3, 60_000),
                new CoordinatorConfig.Enrolment(List.of(TOKEN), null));
        registry = new NodeRegistry(Clock.systemUTC(), config.liveness().settings(), 100);
        gateway = new AgentGatewayVerticle(config, registry, new EnrolmentTokens(List.of(TOKEN)), new AtomicInteger(),
                new Metrics());
        vertx.deployVerticle(gateway).await();
    }

    @AfterEach
    void close() {
        vertx.close().await();
    }

    private WireClient enrolled(String nodeId) throws Exception {
        WireClient c = new WireClient(gateway.actualPort());
        c.send(new Hello(1, 1, "test", NodeIdentity.local(nodeId, "p"), 1, 0, TOKEN, "", 0));
        assertThat(c.receive()).isInstanceOf(Welcome.class);
        return c;
    }

    private static Heartbeat beat(int running) {
        return new Heartbeat(System.currentTimeMillis(), running > 0 ? AgentState.BUSY : AgentState.IDLE, running,
                HostMetrics.UNKNOWN, List.of(), false, 0);
    }

    private NodeSnapshot node(String id) {
        return registry.find(id).orElseThrow().snapshot();
    }

    @Test
    void statedNamesAreKeptUntilTheAgentStatesOthers() throws Exception {
        try (WireClient c = enrolled("render000004")) {
            c.send(beat(0).withHostNames(NAMES));
            await().atMost(Duration.ofSeconds(30)).until(() -> node("render000004").lastHeartbeat() != null);
            assertThat(node("render000004").lastHeartbeat().hostNames()).isEqualTo(NAMES);

            c.send(beat(1)); // a later heartbeat does not repeat them
            await().atMost(Duration.ofSeconds(30)).until(() -> node("render000004").lastHeartbeat().runningTasks() == 1);
            assertThat(node("render000004").lastHeartbeat().hostNames()).isEqualTo(NAMES);

            HostNames moved = new HostNames(List.of("rndr-a7"), List.of("10.20.0.99"));
            c.send(beat(0).withHostNames(moved));
            await().atMost(Duration.ofSeconds(30)).until(() -> node("render000004").lastHeartbeat().hostNames()
                    .equals(moved));
        }
    }

    @Test
    void aBlankNameClosesThatConnectionOnlyAndKeepsWhatWasStatedBefore() throws Exception {
        try (WireClient good = enrolled("render000005"); WireClient bad = enrolled("render000006")) {
            bad.send(beat(0).withHostNames(NAMES));
            await().atMost(Duration.ofSeconds(30)).until(() -> node("render000006").lastHeartbeat() != null);

            // a heartbeat whose extension holds one blank name: every other byte is well formed
            ByteBuf frame = Unpooled.buffer();
            MessageCodec.encode(beat(0), frame, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
            frame.writeShort(1).writeShort(7).writeShort(1).writeShort(1).writeByte(' ').writeShort(0);
            frame.setInt(0, frame.readableBytes() - 4);
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            frame.release();
            bad.sendRaw(bytes);

            Message m = bad.receive();
            while (m instanceof Ack) {
                m = bad.receive();
            }
            assertThat(m).isInstanceOfSatisfying(Bye.class, b -> {
                assertThat(b.reason()).isEqualTo(ByeReason.PROTOCOL_ERROR);
                assertThat(b.detail()).contains("heartbeat.hostNames.names[] must not be blank");
            });
            assertThat(bad.closedByServer()).isTrue();
            assertThat(node("render000006").lastHeartbeat().hostNames()).isEqualTo(NAMES);

            good.send(beat(0).withHostNames(NAMES)); // the other connection is untouched
            await().atMost(Duration.ofSeconds(30)).until(() -> node("render000005").lastHeartbeat() != null
                    && node("render000005").lastHeartbeat().hostNames().equals(NAMES));
        }
    }
}
