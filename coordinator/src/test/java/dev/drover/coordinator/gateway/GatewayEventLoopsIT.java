package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reject;
import dev.drover.protocol.RejectReason;
import dev.drover.protocol.Welcome;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway on two event loops (issue 16: one loop kept one core busy while the other idled): connections
 * are spread over both, and what Hellos decide together still holds when they arrive on both at once.
 */
@ExtendWith(VertxExtension.class)
class GatewayEventLoopsIT {
    private static final String TOKEN = "gateway-loops-token-0123456789";

    private final NodeRegistry registry = new NodeRegistry(Clock.systemUTC(),
            new CoordinatorConfig(null, null, null, new CoordinatorConfig.Enrolment(List.of(TOKEN), null))
                    .liveness().settings(), 100);
    /** Every client a test opened, closed after it. */
    private final List<WireClient> open = new ArrayList<>();
    private String deploymentId;

    @AfterEach
    void closeClients() throws Exception {
        for (WireClient c : open) {
            c.close();
        }
    }

    private AgentGatewayVerticle deploy(Vertx vertx, int maxUnpooled) {
        CoordinatorConfig config = new CoordinatorConfig(
                new CoordinatorConfig.Gateway("127.0.0.1", 0, null, 30_000, 1000, null,
                        CoordinatorConfig.Tls.plaintext(), 1000, null, 2),
                null, null, new CoordinatorConfig.Enrolment(List.of(TOKEN), null, null, maxUnpooled, null, null));
        AgentGatewayVerticle gateway = new AgentGatewayVerticle(config, registry,
                new EnrolmentTokens(config.enrolment().tokens()), new AtomicInteger(),
                new dev.drover.coordinator.metrics.Metrics());
        deploymentId = vertx.deployVerticle(gateway).await();
        return gateway;
    }

    /** Each client says Hello from a thread of its own, all at once; returns each one's first answer. */
    private static List<Message> helloAtOnce(int port, int clients, List<WireClient> open) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Message>> answers = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                WireClient c = new WireClient(port, 60_000);
                open.add(c);
                String nodeId = "loops-" + i;
                answers.add(threads.submit((Callable<Message>) () -> {
                    c.send(new Hello(1, 1, "test", NodeIdentity.local(nodeId, "nowhere"), 4, 0, TOKEN, "", 0));
                    return c.receive();
                }));
            }
            List<Message> out = new ArrayList<>();
            for (Future<Message> a : answers) {
                out.add(a.get(120, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void connectionsAreServedOnBothEventLoopsAndEachNodeGetsItsOwnCredential(Vertx vertx) throws Exception {
        AgentGatewayVerticle gateway = deploy(vertx, 1000);
        List<Message> answers = helloAtOnce(gateway.actualPort(), 40, open);

        Set<String> credentials = new HashSet<>();
        for (Message m : answers) {
            assertThat(m).isInstanceOf(Welcome.class);
            credentials.add(((Welcome) m).nodeCredential());
        }
        assertThat(credentials).hasSize(40).doesNotContain("");
        assertThat(gateway.connectionsPerEventLoop()).hasSize(2);
        assertThat(gateway.connectionsPerEventLoop().values().stream().mapToInt(Integer::intValue).sum())
                .isEqualTo(40);
        for (int i = 0; i < 40; i++) {
            assertThat(registry.find("loops-" + i).orElseThrow().snapshot().state()).isEqualTo(NodeState.READY);
        }
    }

    @Test
    void theCapOnNodesOfNoPoolHoldsWhenTheirHellosArriveOnBothLoopsAtOnce(Vertx vertx) throws Exception {
        AgentGatewayVerticle gateway = deploy(vertx, 10);
        List<Message> answers = helloAtOnce(gateway.actualPort(), 40, open);

        long welcomed = answers.stream().filter(Welcome.class::isInstance).count();
        long overloaded = answers.stream().filter(m -> m instanceof Reject r
                && r.reason() == RejectReason.OVERLOADED).count();
        assertThat(welcomed).isEqualTo(10);
        assertThat(overloaded).isEqualTo(30);
    }

    @Test
    void stoppingTellsEveryAgentOnEveryLoopByeShutdown(Vertx vertx) throws Exception {
        AgentGatewayVerticle gateway = deploy(vertx, 1000);
        assertThat(helloAtOnce(gateway.actualPort(), 12, open)).allMatch(Welcome.class::isInstance);
        assertThat(gateway.connectionsPerEventLoop()).hasSize(2);

        vertx.undeploy(deploymentId).await();

        // Vert.x stops the extra listener first: its agents must hear Bye(SHUTDOWN) too, not a bare close
        for (WireClient c : open) {
            Message m = c.receive();
            while (!(m instanceof dev.drover.protocol.Bye)) {
                m = c.receive();
            }
            assertThat(((dev.drover.protocol.Bye) m).reason()).isEqualTo(dev.drover.protocol.ByeReason.SHUTDOWN);
        }
    }
}
