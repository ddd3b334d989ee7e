package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Ack;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.Reject;
import dev.drover.protocol.RejectReason;
import dev.drover.protocol.Welcome;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The agent gateway against well-behaved and hostile clients. */
@ExtendWith(VertxExtension.class)
class AgentGatewayVerticleIT {
    private static final String TOKEN = "gateway-test-token-0123456789";

    private NodeRegistry registry;
    private AgentGatewayVerticle gateway;
    private final AtomicInteger connections = new AtomicInteger();

    @BeforeEach
    void deploy(Vertx vertx) throws Exception {
        CoordinatorConfig config = new CoordinatorConfig(
                new CoordinatorConfig.Gateway("127.0.0.1", 0, null, 1000, 3, null), null, null,
                new CoordinatorConfig.Enrolment(List.of(TOKEN), null));
        registry = new NodeRegistry(Clock.systemUTC(), config.liveness().settings(), 100);
        gateway = new AgentGatewayVerticle(config, registry, new EnrolmentTokens(config.enrolment().tokens()),
                connections, new dev.drover.coordinator.metrics.Metrics());
        vertx.deployVerticle(gateway).await();
    }

    private static Hello hello(String nodeId, String token, int min, int max) {
        return new Hello(min, max, "test", NodeIdentity.local(nodeId, "p"), 4, 0, token, "", 0);
    }

    private WireClient enrolled(String nodeId) throws Exception {
        WireClient c = new WireClient(gateway.actualPort());
        c.send(hello(nodeId, TOKEN, 1, 1));
        assertThat(c.receive()).isInstanceOf(Welcome.class);
        return c;
    }

    @Test
    void validHelloIsWelcomedWithLivenessSettings() throws Exception {
        try (WireClient c = new WireClient(gateway.actualPort())) {
            c.send(hello("n1", TOKEN, 1, 3));

            Message reply = c.receive();

            assertThat(reply).isInstanceOfSatisfying(Welcome.class, w -> {
                assertThat(w.version()).as("highest common version").isEqualTo(1);
                assertThat(w.nodeId()).isEqualTo("n1");
                assertThat(w.heartbeatIntervalMillis()).isEqualTo(5000);
                assertThat(w.resumed()).isFalse();
            });
            assertThat(registry.find("n1").orElseThrow().snapshot().state()).isEqualTo(NodeState.READY);
        }
    }

    @Test
    void reliableEventsAreAcknowledgedAndDuplicatesIgnored() throws Exception {
        try (WireClient c = enrolled("n2")) {
            c.send(new DrainState(1, DrainPhase.DRAINING, 0));
            assertThat(c.receive()).isEqualTo(new Ack(1));
            c.send(new DrainState(1, DrainPhase.DRAINING, 0));
            assertThat(c.receive()).as("a resent event is acknowledged again").isEqualTo(new Ack(1));
            c.send(new Heartbeat(0, AgentState.BUSY, 1, HostMetrics.UNKNOWN, List.of(), false, 0));
            c.send(new Ping(42));
            assertThat(c.receive()).isEqualTo(new Pong(42));
            assertThat(registry.find("n2").orElseThrow().snapshot().state()).isEqualTo(NodeState.BUSY);
        }
    }

    @Test
    void unsupportedVersionIsRejectedWithTheSupportedRange() throws Exception {
        try (WireClient c = new WireClient(gateway.actualPort())) {
            c.send(hello("n3", TOKEN, 7, 9));

            assertThat(c.receive()).isInstanceOfSatisfying(Reject.class, r -> {
                assertThat(r.reason()).isEqualTo(RejectReason.UNSUPPORTED_VERSION);
                assertThat(r.detail()).contains("7..9").contains("1..1");
                assertThat(r.maxVersion()).isEqualTo(1);
            });
            assertThat(c.closedByServer()).isTrue();
            assertThat(registry.find("n3")).isEmpty();
        }
    }

    @Test
    void wrongTokenIsRejected() throws Exception {
        try (WireClient c = new WireClient(gateway.actualPort())) {
            c.send(hello("n4", "not-the-token", 1, 1));

            assertThat(c.receive()).isInstanceOfSatisfying(Reject.class,
                    r -> assertThat(r.reason()).isEqualTo(RejectReason.BAD_CREDENTIAL));
            assertThat(c.closedByServer()).isTrue();
            assertThat(registry.find("n4")).isEmpty();
        }
    }

    @Test
    void messageBeforeHelloClosesTheConnection() throws Exception {
        try (WireClient c = new WireClient(gateway.actualPort())) {
            c.send(new Heartbeat(0, AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(), false, 0));

            assertThat(c.receive()).isInstanceOfSatisfying(Bye.class, b -> {
                assertThat(b.reason()).isEqualTo(ByeReason.PROTOCOL_ERROR);
                assertThat(b.detail()).isEqualTo("HEARTBEAT before Hello");
            });
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void garbageClosesOnlyItsOwnConnection() throws Exception {
        try (WireClient good = enrolled("n5"); WireClient bad = new WireClient(gateway.actualPort())) {
            bad.sendRaw("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII));

            assertThat(bad.closedByServer()).isTrue();
            good.send(new Ping(1));
            assertThat(good.receive()).isEqualTo(new Pong(1));
        }
    }

    @Test
    void silentConnectionIsClosedAfterTheHelloTimeout() throws Exception {
        try (WireClient c = new WireClient(gateway.actualPort())) {
            assertThat(c.receive()).isInstanceOfSatisfying(Bye.class,
                    b -> assertThat(b.detail()).isEqualTo("no Hello within 1000 ms"));
        }
    }

    @Test
    void connectionsBeyondTheLimitAreRefused() throws Exception {
        try (WireClient a = enrolled("a"); WireClient b = enrolled("b"); WireClient c = enrolled("c");
                WireClient d = new WireClient(gateway.actualPort())) {
            assertThat(d.closedByServer()).isTrue();
            a.send(new Ping(2));
            assertThat(a.receive()).isEqualTo(new Pong(2));
        }
    }
}
