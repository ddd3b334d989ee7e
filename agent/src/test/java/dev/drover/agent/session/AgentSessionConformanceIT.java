package dev.drover.agent.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.tls.TestCertificates;
import dev.drover.protocol.Ack;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.ProtocolLimits;
import dev.drover.protocol.Reject;
import dev.drover.protocol.RejectReason;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.Welcome;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent's side of PROTOCOL.md §6: streams across coordinator restarts, reactions to Reject and Bye, stalls. */
class AgentSessionConformanceIT {
    private final List<Reliable> commands = new CopyOnWriteArrayList<>();
    private FakeCoordinator coordinator;
    private CoordinatorClient client;
    private SessionMemory memory;

    private final AgentCommands agent = new AgentCommands() {
        @Override
        public Hello hello(String sessionId, long lastReceivedSeq) {
            return new Hello(1, 1, "test", NodeIdentity.local("node-9", "p"), 2, 0, "token", sessionId, lastReceivedSeq);
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

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

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

    private Hello welcome(String sessionId, String commandStream) throws InterruptedException {
        Hello hello = coordinator.next(Hello.class);
        coordinator.send(new Welcome(1, sessionId, "node-9", false, 0, 200, 0, 65536, 0, commandStream));
        return hello;
    }

    private static CancelTask cancel(long seq, int tid) {
        return new CancelTask(seq, new TaskRef(1, tid, 1), "test");
    }

    /** A message other than a heartbeat within {@code millis}, or null. */
    private Message within(long millis) throws InterruptedException {
        return coordinator.received.poll(millis, TimeUnit.MILLISECONDS);
    }

    @Test
    void helloNamesTheAgentStreamTheCommandPositionAndTheReceiveLimit() throws Exception {
        Hello first = welcome("s-1", "c-1");
        assertThat(first.agentStreamId()).isNotBlank().isEqualTo(memory.outbox().streamId());
        assertThat(first.commandStreamId()).as("no coordinator stream followed yet").isEmpty();
        assertThat(first.maxFrameLength()).isEqualTo(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);

        coordinator.send(cancel(1, 1));
        assertThat(coordinator.next(Ack.class).seq()).isEqualTo(1);
        coordinator.hangUp();

        Hello again = coordinator.next(Hello.class);
        assertThat(again.agentStreamId()).isEqualTo(first.agentStreamId());
        assertThat(again.commandStreamId()).isEqualTo("c-1");
        assertThat(again.lastReceivedSeq()).isEqualTo(1);
    }

    @Test
    void aNewCoordinatorStreamIsCountedFromZeroSoItsFirstCommandsRun() throws Exception {
        welcome("s-1", "c-1");
        coordinator.send(cancel(1, 1));
        coordinator.send(cancel(2, 2));
        assertThat(coordinator.next(Ack.class).seq()).isEqualTo(1);
        assertThat(coordinator.next(Ack.class).seq()).isEqualTo(2);

        // the coordinator restarts: a new session and a new command stream numbered from 1
        coordinator.hangUp();
        welcome("s-2", "c-2");
        coordinator.send(cancel(1, 3));

        assertThat(coordinator.next(Ack.class).seq()).isEqualTo(1);
        assertThat(commands).extracting(c -> ((CancelTask) c).task().tid()).containsExactly(1, 2, 3);
    }

    @Test
    void rejectedCredentialIsNotRetriedSoon() throws Exception {
        coordinator.next(Hello.class);
        coordinator.send(new Reject(RejectReason.BAD_CREDENTIAL, "enrolment token not accepted", 1, 1));

        assertThat(within(3000)).as("no new Hello for minutes, even with a 20 ms backoff").isNull();
    }

    @Test
    void supersededConnectionDoesNotFightBack() throws Exception {
        welcome("s-1", "c-1");
        coordinator.send(new Bye(ByeReason.SUPERSEDED, "a newer connection for this node"));

        assertThat(within(3000)).isNull();
    }

    @Test
    void coordinatorShutdownIsFollowedByAPromptResume() throws Exception {
        welcome("s-1", "c-1");
        coordinator.send(new Bye(ByeReason.SHUTDOWN, "coordinator stopping"));

        Hello back = coordinator.next(Hello.class);
        assertThat(back.previousSessionId()).isEqualTo("s-1");
        assertThat(back.commandStreamId()).isEqualTo("c-1");
    }

    @Test
    void aCoordinatorSilentForAFewSecondsIsNeitherPingedNorLeft() throws Exception {
        welcome("s-1", "c-1");

        // 4 s of silence at a 200 ms heartbeat: 20 intervals, still inside the agent's allowance of 8 s
        Message m = within(4000);

        assertThat(m).as("no Ping, no reconnect").isNull();
        assertThat(client.connected()).isTrue();
        assertThat(coordinator.heartbeats).as("the agent kept beating").hasSizeGreaterThan(10);
    }
}
