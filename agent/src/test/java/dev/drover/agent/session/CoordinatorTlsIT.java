package dev.drover.agent.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.config.ConfigException;
import dev.drover.agent.tls.TestCertificates;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reliable;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent talks only to the coordinator it pinned: a rogue one (self-signed, another CA, or the right CA but
 * the wrong name) never gets a byte of the Hello, so never the enrolment token, and can send nothing to run.
 */
class CoordinatorTlsIT {
    private static final String TOKEN = "enrolment-token-for-tls-tests";

    @TempDir
    Path dir;

    private final List<Reliable> commands = new CopyOnWriteArrayList<>();
    private FakeCoordinator coordinator;
    private CoordinatorClient client;
    private SessionMemory memory = new SessionMemory(100);

    private final AgentCommands agent = new AgentCommands() {
        @Override
        public Hello hello(String sessionId, long lastReceivedSeq) {
            return new Hello(1, 1, "test", NodeIdentity.local("node-tls", "p"), 1, 0, TOKEN, sessionId, lastReceivedSeq);
        }

        @Override
        public Heartbeat heartbeat() {
            return new Heartbeat(System.currentTimeMillis(), AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(), false, 0);
        }

        @Override
        public void onCommand(Reliable command) {
            commands.add(command);
        }
    };

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.stop(ByeReason.SHUTDOWN, "test over", 0);
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private void connect(SslContext presented, AgentConfig.Tls pin) throws Exception {
        coordinator = new FakeCoordinator(0, presented);
        AgentConfig config = new AgentConfig(new AgentConfig.Coordinator("127.0.0.1", coordinator.port(), null, null, pin),
                null, null, null, new AgentConfig.Heartbeat(200, 0), new AgentConfig.Reconnect(20, 100), null, null, "",
                null);
        client = new CoordinatorClient(config, agent, memory);
        client.start();
    }

    private AgentConfig.Tls pinFile(TestCertificates.Issued ca) throws Exception {
        return new AgentConfig.Tls(ca.writeCertificate(dir.resolve("pinned-ca.pem")).toString(), null, null, null, null);
    }

    /** The rogue saw the agent try (and walk away) several times, and never one plaintext byte. */
    private void assertRogueGotNothing() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> coordinator.failedHandshakes.get() >= 3);
        assertThat(coordinator.bytesReceived.get()).isZero();
        assertThat(coordinator.received).isEmpty();
        assertThat(client.connected()).isFalse();
        assertThat(commands).isEmpty();
    }

    @Test
    void pinnedCaFileAcceptsTheRealCoordinatorAndSendsHello() throws Exception {
        TestCertificates.Issued ca = TestCertificates.ca("real CA");
        connect(TestCertificates.server(ca, "127.0.0.1").serverContext(dir, ca.certificate()), pinFile(ca));

        Hello hello = coordinator.next(Hello.class);
        assertThat(hello.enrolmentToken()).isEqualTo(TOKEN);
        assertThat(coordinator.failedHandshakes.get()).isZero();
    }

    @Test
    void pinnedFingerprintAcceptsTheRealCoordinator() throws Exception {
        TestCertificates.Issued ca = TestCertificates.ca("real CA");
        String colonUpper = ca.sha256().toUpperCase().replaceAll("(..)(?!$)", "$1:");
        connect(TestCertificates.server(ca, "127.0.0.1").serverContext(dir, ca.certificate()),
                new AgentConfig.Tls(null, colonUpper, null, null, null));

        assertThat(coordinator.next(Hello.class).enrolmentToken()).isEqualTo(TOKEN);
    }

    @Test
    void selfSignedRogueGetsNoTokenWithCaFilePin() throws Exception {
        TestCertificates.Issued ca = TestCertificates.ca("real CA");
        connect(TestCertificates.selfSigned("127.0.0.1").serverContext(dir), pinFile(ca));
        assertRogueGotNothing();
    }

    @Test
    void rogueWithAnotherCaGetsNoTokenWithFingerprintPin() throws Exception {
        TestCertificates.Issued real = TestCertificates.ca("real CA");
        TestCertificates.Issued other = TestCertificates.ca("real CA"); // same name, different key
        connect(TestCertificates.server(other, "127.0.0.1").serverContext(dir, other.certificate()),
                new AgentConfig.Tls(null, real.sha256(), null, null, null));
        assertRogueGotNothing();
    }

    @Test
    void certificateFromThePinnedCaForAnotherNameIsRefused() throws Exception {
        TestCertificates.Issued ca = TestCertificates.ca("real CA");
        connect(TestCertificates.server(ca, "other-host.example").serverContext(dir, ca.certificate()), pinFile(ca));
        assertRogueGotNothing();
    }

    @Test
    void plaintextCoordinatorGetsNoToken() throws Exception {
        TestCertificates.Issued ca = TestCertificates.ca("real CA");
        coordinator = new FakeCoordinator(0); // speaks no TLS at all
        AgentConfig config = new AgentConfig(new AgentConfig.Coordinator("127.0.0.1", coordinator.port(), null, null,
                pinFile(ca)), null, null, null, new AgentConfig.Heartbeat(200, 0), new AgentConfig.Reconnect(20, 100),
                null, null, "", null);
        client = new CoordinatorClient(config, agent, memory);
        client.start();

        Thread.sleep(2000); // several connection attempts
        assertThat(coordinator.received).isEmpty(); // its frame decoder saw only a TLS ClientHello, no Hello frame
        assertThat(client.connected()).isFalse();
    }

    @Test
    void refusesToStartWithoutAPinUnlessPlaintextIsExplicit() throws Exception {
        AgentConfig unpinned = new AgentConfig(new AgentConfig.Coordinator("127.0.0.1", 7700, null, null), null, null,
                null, null, null, null, null, "", null);
        assertThatThrownBy(() -> new CoordinatorClient(unpinned, agent, memory))
                .isInstanceOf(ConfigException.class).hasMessageContaining("coordinator.tls")
                .hasMessageContaining("insecurePlaintext");

        coordinator = new FakeCoordinator(0);
        AgentConfig plaintext = new AgentConfig(new AgentConfig.Coordinator("127.0.0.1", coordinator.port(), null, null,
                new AgentConfig.Tls(null, null, null, null, true)), null, null, null, new AgentConfig.Heartbeat(200, 0),
                new AgentConfig.Reconnect(20, 100), null, null, "", null);
        client = new CoordinatorClient(plaintext, agent, memory);
        client.start();
        assertThat(coordinator.next(Hello.class).enrolmentToken()).isEqualTo(TOKEN);
    }
}
