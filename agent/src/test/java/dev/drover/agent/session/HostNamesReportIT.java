package dev.drover.agent.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.tls.TestCertificates;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.Welcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's side of Heartbeat extension 1 (PROTOCOL.md §4): host names and addresses in the first heartbeat of
 * each connection and in the first after they change, and in no other, so a steady heartbeat stays small.
 */
class HostNamesReportIT {
    private static final HostNames FIRST = new HostNames(List.of("rndr-7", "rndr-7.studio.lan"), List.of("10.2.0.7"));
    private static final HostNames MOVED = new HostNames(List.of("rndr-7"), List.of("10.2.0.99"));
    private volatile HostNames names = FIRST;
    private FakeCoordinator coordinator;
    private CoordinatorClient client;

    private final AgentCommands agent = new AgentCommands() {
        @Override
        public Hello hello(String sessionId, long lastReceivedSeq) {
            return new Hello(1, 1, "test", NodeIdentity.local("node-7", "p"), 1, 0, "token", sessionId, lastReceivedSeq);
        }

        @Override
        public Heartbeat heartbeat() {
            return new Heartbeat(System.currentTimeMillis(), AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(), false, 0);
        }

        @Override
        public HostNames hostNames() {
            return names;
        }

        @Override
        public void onCommand(Reliable command) {
        }
    };

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    @BeforeEach
    void start() throws Exception {
        TestCertificates.Issued ca = TestCertificates.ca("test coordinator CA");
        coordinator = new FakeCoordinator(0, TestCertificates.server(ca, "127.0.0.1").serverContext(dir, ca.certificate()));
        AgentConfig.Tls tls = new AgentConfig.Tls(ca.writeCertificate(dir.resolve("ca.pem")).toString(), null, null, null,
                null);
        AgentConfig config = new AgentConfig(new AgentConfig.Coordinator("127.0.0.1", coordinator.port(), null, null, tls),
                null, null, null, new AgentConfig.Heartbeat(100, 0), new AgentConfig.Reconnect(20, 100), null, null, "", null);
        client = new CoordinatorClient(config, agent, new SessionMemory(100));
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.stop(ByeReason.SHUTDOWN, "test over", 0);
        coordinator.close();
    }

    private void welcome(String sessionId) throws InterruptedException {
        coordinator.next(Hello.class);
        coordinator.heartbeats.clear();
        coordinator.send(new Welcome(1, sessionId, "node-7", false, 0, 100, 0, 65536, 0, "c-1"));
    }

    private List<HostNames> nextHeartbeats(int n) throws InterruptedException {
        List<HostNames> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Heartbeat hb = (Heartbeat) coordinator.heartbeats.poll(10, TimeUnit.SECONDS);
            assertThat(hb).as("heartbeat %d", i).isNotNull();
            out.add(hb.hostNames());
        }
        return out;
    }

    @Test
    void namesGoInTheFirstHeartbeatOfEachConnectionAndWhenTheyChange() throws Exception {
        welcome("s-1");
        assertThat(nextHeartbeats(4)).containsExactly(FIRST, HostNames.NONE, HostNames.NONE, HostNames.NONE);

        names = MOVED; // e.g. a new address after a NIC change
        HostNames stated = HostNames.NONE;
        for (int i = 0; i < 100 && stated.isEmpty(); i++) { // heartbeats queued before the change say nothing
            stated = nextHeartbeats(1).get(0);
        }
        assertThat(stated).isEqualTo(MOVED);
        assertThat(nextHeartbeats(3)).containsOnly(HostNames.NONE);

        coordinator.hangUp(); // a new connection states them again, even though they did not change
        welcome("s-1");
        assertThat(nextHeartbeats(3)).containsExactly(MOVED, HostNames.NONE, HostNames.NONE);
    }
}
