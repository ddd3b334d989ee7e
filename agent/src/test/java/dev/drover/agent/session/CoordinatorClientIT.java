package dev.drover.agent.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.tls.TestCertificates;
import dev.drover.protocol.Ack;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainMode;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.Welcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent's session against a fake coordinator: handshake, heartbeats, resume, exactly-once commands. */
class CoordinatorClientIT {
    private final List<Reliable> commands = new CopyOnWriteArrayList<>();
    private FakeCoordinator coordinator;
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;
    private CoordinatorClient client;
    private SessionMemory memory;

    private final AgentCommands agent = new AgentCommands() {
        @Override
        public Hello hello(String sessionId, long lastReceivedSeq) {
            return new Hello(1, 1, "test", NodeIdentity.local("node-7", "p"), 2, 0, "token-abc", sessionId,
                    lastReceivedSeq);
        }

        @Override
        public Heartbeat heartbeat() {
            return new Heartbeat(System.currentTimeMillis(), AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(),
                    false, memory.outbox().dropped());
        }

        @Override
        public void onCommand(Reliable command) {
            commands.add(command);
        }
    };

    @BeforeEach
    void start() throws Exception {
        // TLS as in production: the fake presents a certificate from the CA this agent pins
        TestCertificates.Issued ca = TestCertificates.ca("test coordinator CA");
        coordinator = new FakeCoordinator(0, TestCertificates.server(ca, "127.0.0.1").serverContext(dir, ca.certificate()));
        AgentConfig.Tls tls = new AgentConfig.Tls(ca.writeCertificate(dir.resolve("ca.pem")).toString(), null, null, null,
                null);
        AgentConfig config = new AgentConfig(new AgentConfig.Coordinator("127.0.0.1", coordinator.port(), null, null, tls),
                null, null, null, new AgentConfig.Heartbeat(200, 0), new AgentConfig.Reconnect(20, 100), null, null, "", null);
        memory = new SessionMemory(100);
        client = new CoordinatorClient(config, agent, memory);
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.stop(ByeReason.SHUTDOWN, "test over", 0);
        coordinator.close();
    }

    private Hello welcome(String sessionId, boolean resumed, long lastReceived) throws InterruptedException {
        Hello hello = coordinator.next(Hello.class);
        coordinator.send(new Welcome(1, sessionId, "node-7", resumed, lastReceived, 200, 0, 65536, 0));
        return hello;
    }

    @Test
    void introducesItselfThenBeatsAtTheWelcomedInterval() throws Exception {
        Hello hello = welcome("s-1", false, 0);

        assertThat(hello.identity().nodeId()).isEqualTo("node-7");
        assertThat(hello.enrolmentToken()).isEqualTo("token-abc");
        assertThat(hello.previousSessionId()).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> coordinator.heartbeats.size() >= 3);
    }

    @Test
    void unacknowledgedEventIsResentAfterReconnectAndForgottenOnceAcknowledged() throws Exception {
        welcome("s-1", false, 0);
        client.send(seq -> new DrainState(seq, DrainPhase.DRAINING, 1));
        assertThat(coordinator.next(DrainState.class).seq()).isEqualTo(1);

        // the link fails before the coordinator acknowledged it
        coordinator.hangUp();

        // then the agent comes back, resumes its session, and resends the event
        Hello again = welcome("s-1", true, 0);
        assertThat(again.previousSessionId()).isEqualTo("s-1");
        assertThat(coordinator.next(DrainState.class).seq()).isEqualTo(1);
        coordinator.send(new Ack(1));
        await().atMost(Duration.ofSeconds(30)).until(() -> memory.outbox().size() == 0);

        // and after one more reconnect there is nothing left to resend
        coordinator.hangUp();
        welcome("s-1", true, 1);
        client.send(seq -> new DrainState(seq, DrainPhase.DRAINED, 0));
        assertThat(coordinator.next(DrainState.class).seq()).as("only the new event").isEqualTo(2);
    }

    @Test
    void eventsRaisedWhileDisconnectedAreDeliveredOnReconnect() throws Exception {
        welcome("s-1", false, 0);
        coordinator.hangUp();
        client.send(seq -> new DrainState(seq, DrainPhase.DRAINED, 0));

        welcome("s-1", true, 0);

        assertThat(coordinator.next(DrainState.class).phase()).isEqualTo(DrainPhase.DRAINED);
    }

    @Test
    void resentCommandIsAcknowledgedButRunOnce() throws Exception {
        welcome("s-1", false, 0);
        Drain drain = new Drain(1, DrainMode.ON_COMPLETION, 0, "scale-in");

        coordinator.send(drain);
        assertThat(coordinator.next(Ack.class).seq()).isEqualTo(1);
        coordinator.send(drain);
        assertThat(coordinator.next(Ack.class).seq()).isEqualTo(1);

        assertThat(commands).containsExactly(drain);
        coordinator.hangUp();
        assertThat(coordinator.next(Hello.class).lastReceivedSeq()).as("tells the coordinator how far it got")
                .isEqualTo(1);
    }

    @Test
    void progressIsCoalescedToTheLatestValuePerTask() throws Exception {
        // progress offered before the session is up: only the last value per task survives
        TaskRef task = new TaskRef(1, 2, 3);
        for (int p = 0; p <= 50; p += 10) {
            client.offerProgress(new TaskProgress(task, p, 1, -1, 0));
        }
        welcome("s-1", false, 0);

        TaskProgress sent = coordinator.next(TaskProgress.class);
        assertThat(sent.percent()).isEqualTo(50f);
        Thread.sleep(300);
        assertThat(coordinator.received).noneMatch(m -> m instanceof TaskProgress);
    }

    @Test
    void cleanStopSaysGoodbye() throws Exception {
        welcome("s-1", false, 0);

        client.stop(ByeReason.SHUTDOWN, "systemd stop", 1000);

        assertThat(coordinator.next(Bye.class).reason()).isEqualTo(ByeReason.SHUTDOWN);
    }
}
