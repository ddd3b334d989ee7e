package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.identity.EnrolmentPolicy;
import dev.drover.coordinator.identity.IdentityGate;
import dev.drover.coordinator.metrics.Metrics;
import dev.drover.coordinator.store.CoordinatorState;
import dev.drover.protocol.Ack;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reject;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import dev.drover.protocol.Welcome;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resume storm after a coordinator restart (issue 16): every agent says Hello again at once, with the credential
 * its first Welcome issued (issue 12) and its reliable stream. The gateway answers them all from the in-memory
 * credential and ledger indexes the store loaded at start-up: not one store read happens on the Hello path (or for
 * the messages after it), so no event loop waits for the disk however many Hellos arrive. The indexes are the
 * store's: credentials and stream positions from before the restart still decide (a wrong credential is refused,
 * a resent message is not applied twice).
 */
class HelloBurstStoreIT {
    private static final String TOKEN = "hello-burst-token-0123456789";
    private static final int NODES = 300;

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    /** One coordinator life: its store, fleet and gateway, as Coordinator wires them. */
    private final class Life implements AutoCloseable {
        final CoordinatorState state = CoordinatorState.open(new CoordinatorConfig.Store(
                dir.resolve("coordinator.db").toString(), "NORMAL"), false);
        final NodeRegistry registry = new NodeRegistry(Clock.systemUTC(), LIVENESS.settings(), 100);
        final Vertx vertx = Vertx.vertx();
        final AgentGatewayVerticle gateway;
        private boolean closed;

        Life() {
            open.add(this);
            state.restoreFleetAndQueue(registry, null);
            IdentityGate identity = new IdentityGate(new EnrolmentPolicy(List.of(TOKEN), List.of()),
                    state.credentials(), null, Set.of("p"), 100, Clock.systemUTC());
            gateway = new AgentGatewayVerticle(CONFIG, registry, identity, new AtomicInteger(), new Metrics(),
                    state.deliveryLedger());
            vertx.deployVerticle(gateway).await();
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            vertx.close().await();
            state.close();
        }
    }

    private static final CoordinatorConfig.Liveness LIVENESS = new CoordinatorConfig.Liveness(5000, 0, 3, 60_000);
    private static final CoordinatorConfig CONFIG = new CoordinatorConfig(new CoordinatorConfig.Gateway("127.0.0.1", 0,
            null, 60_000, 10_000, null, CoordinatorConfig.Tls.plaintext(), NODES), null, LIVENESS,
            new CoordinatorConfig.Enrolment(List.of(TOKEN), null));

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private static Hello hello(String nodeId, String credential) {
        return new Hello(1, 1, "test", NodeIdentity.local(nodeId, "p"), 1, 0, credential.isEmpty() ? TOKEN : "", "",
                0).withStreams("stream-" + nodeId, "", 0).withProof(credential, "");
    }

    private static Heartbeat beat() {
        return new Heartbeat(System.currentTimeMillis(), AgentState.BUSY, 1, HostMetrics.UNKNOWN, List.of(), false, 0);
    }

    private static TaskStarted started(String nodeId, long seq) {
        return new TaskStarted(seq, new TaskRef(Math.abs(nodeId.hashCode()) + 1L, (int) seq, 1), 1_000, 42);
    }

    private static Message next(WireClient c, Class<?> type) throws Exception {
        Message m;
        do {
            m = c.receive();
        } while (m != null && !type.isInstance(m)); // a command or keepalive may come between
        return m;
    }

    @Test
    void aResumeStormAfterARestartReadsNothingFromTheStore() throws Exception {
        // given: NODES agents enrolled, each with one applied reliable message, then the coordinator restarts
        Map<String, String> credentials = new ConcurrentHashMap<>();
        ExecutorService agents = Executors.newFixedThreadPool(32);
        open.add(agents::shutdownNow);
        try (Life first = new Life()) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < NODES; i++) {
                String nodeId = "burst-" + i;
                done.add(agents.submit(() -> {
                    try (WireClient c = new WireClient(first.gateway.actualPort(), 60_000)) {
                        c.send(hello(nodeId, ""));
                        Welcome w = (Welcome) c.receive();
                        assertThat(w.nodeCredential()).as("credential issued to %s", nodeId).isNotEmpty();
                        c.send(beat());
                        c.send(started(nodeId, 1));
                        assertThat(((Ack) next(c, Ack.class)).seq()).isEqualTo(1);
                        credentials.put(nodeId, w.nodeCredential());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(90, TimeUnit.SECONDS);
            }
            // the credential counts as confirmed once the agent spoke after its Welcome
            await().atMost(Duration.ofSeconds(60)).until(() -> first.state.credentials().all().stream()
                    .filter(e -> e.confirmed()).count() == NODES);
        }
        open.clear();
        open.add(agents::shutdownNow);
        Life second = new Life();
        long readsAtStart = second.state.store().reads();
        assertThat(readsAtStart).as("the restore itself reads the store (the counter counts)").isPositive();

        // when: every agent says Hello again at once, resends its applied message and sends a new one
        List<Future<Long>> resumed = new ArrayList<>();
        List<WireClient> clients = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            String nodeId = "burst-" + i;
            WireClient c = new WireClient(second.gateway.actualPort(), 60_000);
            clients.add(c);
            open.add(c);
            resumed.add(agents.submit(() -> {
                c.send(hello(nodeId, credentials.get(nodeId)));
                Welcome w = (Welcome) c.receive();
                assertThat(w.nodeCredential()).as("no new credential for %s", nodeId).isEmpty();
                c.send(beat());
                c.send(started(nodeId, 1)); // a resend: acknowledged, not applied again
                assertThat(((Ack) next(c, Ack.class)).seq()).isEqualTo(1);
                c.send(started(nodeId, 2));
                assertThat(((Ack) next(c, Ack.class)).seq()).isEqualTo(2);
                return w.lastReceivedSeq();
            }));
        }
        for (Future<Long> f : resumed) {
            assertThat(f.get(90, TimeUnit.SECONDS)).as("Welcome.lastReceivedSeq from the ledger index").isEqualTo(1);
        }
        // a wrong credential is still refused after the restart
        try (WireClient intruder = new WireClient(second.gateway.actualPort(), 60_000)) {
            intruder.send(hello("burst-0", "not-the-credential-of-burst-0"));
            assertThat(intruder.receive()).isInstanceOf(Reject.class);
        }

        // then: all of them were served without a single store read, and their new messages are kept
        assertThat(second.state.store().reads()).as("store reads during the Hello burst").isEqualTo(readsAtStart);
        assertThat(second.registry.snapshot()).hasSize(NODES).allSatisfy(n -> {
            assertThat(n.connected()).isTrue();
            assertThat(n.runningTasks()).hasSize(2);
        });
        for (WireClient c : clients) {
            c.close();
        }
        open.removeAll(clients);
        second.close();
        open.remove(second);
        try (Life third = new Life()) {
            assertThat(third.registry.snapshot()).allSatisfy(n -> assertThat(n.runningTasks()).hasSize(2));
            assertThat(third.state.deliveryLedger().position("burst-7"))
                    .isEqualTo(new DeliveryLedger.Position("stream-burst-7", 2));
        }
    }
}
