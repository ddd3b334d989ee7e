package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.agent.session.AgentCommands;
import dev.drover.agent.session.MemoryDeliveryStore;
import dev.drover.agent.session.ReconnectAdvice;
import dev.drover.agent.session.SessionHandler;
import dev.drover.agent.session.SessionListener;
import dev.drover.agent.session.SessionMemory;
import dev.drover.coordinator.fleet.FleetListener;
import dev.drover.coordinator.fleet.LivenessSettings;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.metrics.Metrics;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.Bye;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reject;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Random interleavings of agent restarts, coordinator restarts, dropped connections (which lose whatever was
 * in flight, acks included), resumes and resends, between the real agent session ({@link SessionHandler} in
 * an EmbeddedChannel) and the real gateway session ({@link AgentConnection} over the real fleet registry).
 * The agent's delivery store and the coordinator's delivery ledger (with the effects it records) are kept
 * across restarts, as their durable implementations must be. Checked: every agent event is applied by the
 * coordinator exactly once and in order; every command is applied by the agent at most once and in order,
 * and none of a coordinator process's commands is skipped (the bug this guards against: a restarted
 * coordinator's first commands acknowledged and never run).
 */
class ReliableDeliveryPropertyTest {
    /** One registry of meters for every try: building one is the slowest part of a try. */
    private static final Metrics METRICS = new Metrics();

    enum Step { AGENT_EVENT, COMMAND, TO_COORDINATOR, TO_AGENT, DROP_LINK, RESTART_AGENT, RESTART_COORDINATOR, RECONNECT }

    @Property(tries = 300)
    void everyReliableMessageIsAppliedOnceAndInOrder(@ForAll @Size(min = 10, max = 120) List<Step> steps,
            @ForAll @IntRange(min = 1, max = 5) int burst) {
        World world = new World();
        for (Step step : steps) {
            world.run(step, burst);
        }
        world.settle();
        world.check();
    }

    @Example
    void commandsAfterACoordinatorRestartAreRunEvenThoughTheAgentProcessedMoreOfTheOldStream() {
        World world = new World();
        world.run(Step.RECONNECT, 1);
        world.settle();
        for (int i = 0; i < 5; i++) {
            world.run(Step.COMMAND, 1);
        }
        world.settle();
        world.run(Step.RESTART_COORDINATOR, 1);
        world.run(Step.RECONNECT, 1);
        world.settle();
        world.run(Step.COMMAND, 1);
        world.run(Step.COMMAND, 1);
        world.settle();

        assertThat(world.agentApplied).hasSize(7);
        world.check();
    }

    /** Both sides, their durable state, and one connection at most. */
    static final class World {
        final MemoryDeliveryStore agentStore = new MemoryDeliveryStore(100_000);
        final MemoryDeliveryLedger ledger = new MemoryDeliveryLedger();
        final List<Long> generated = new ArrayList<>();
        final List<Long> coordinatorApplied = new ArrayList<>();
        final List<Long> agentApplied = new ArrayList<>();
        final List<List<Long>> issuedByIncarnation = new ArrayList<>();
        long nextEvent;
        long nextCommand;

        NodeRegistry registry;
        InboundStreams streams;
        dev.drover.coordinator.identity.IdentityGate identity;
        /** The node credential the agent holds, as its state directory would across connections. */
        String credential = "";
        SessionMemory memory = new SessionMemory(agentStore);
        Link link;

        World() {
            startCoordinator();
        }

        private void startCoordinator() {
            registry = new NodeRegistry(Clock.systemUTC(),
                    new LivenessSettings(Duration.ofSeconds(5), 20, 3, Duration.ofSeconds(60)), 100_000, Runnable::run);
            registry.addListener(new FleetListener() {
                @Override
                public void taskFinished(String nodeId, String pool, TaskFinished finished) {
                    coordinatorApplied.add(finished.task().jid());
                }
            });
            streams = new InboundStreams(ledger);
            identity = dev.drover.coordinator.identity.IdentityGate.tokensOnly(List.of("t"), 100);
            issuedByIncarnation.add(new ArrayList<>());
        }

        void run(Step step, int burst) {
            switch (step) {
                case AGENT_EVENT -> {
                    long id = ++nextEvent;
                    generated.add(id);
                    Reliable event = agentStore.add(seq -> new TaskFinished(seq, new TaskRef(id, 0, 0), 0, 0, 1, -1, 0));
                    if (link != null) {
                        link.agent.sendIfEstablished(event);
                    }
                }
                case COMMAND -> registry.find("n1").ifPresent(node -> {
                    long id = ++nextCommand;
                    issuedByIncarnation.get(issuedByIncarnation.size() - 1).add(id);
                    node.sendCommand(seq -> new CancelTask(seq, new TaskRef(id, 0, 0), "property"));
                });
                case TO_COORDINATOR -> connected().toCoordinator(burst);
                case TO_AGENT -> connected().toAgent(burst);
                case DROP_LINK -> drop();
                case RESTART_AGENT -> {
                    drop();
                    memory = new SessionMemory(agentStore); // a new process: no session id, same durable store
                }
                case RESTART_COORDINATOR -> {
                    drop();
                    startCoordinator(); // nodes and command outboxes are gone; the ledger is durable
                }
                case RECONNECT -> {
                    if (link == null) {
                        link = new Link();
                    }
                }
            }
        }

        /** The link, re-made first if it was dropped (an agent reconnects by itself). */
        Link connected() {
            if (link == null || link.closed) {
                drop();
                link = new Link();
            }
            return link;
        }

        void drop() {
            if (link != null) {
                link.drop();
                link = null;
            }
        }

        /** Connects and moves messages until nothing is in flight. */
        void settle() {
            for (int round = 0; round < 1000; round++) {
                if (link == null || link.closed) {
                    drop();
                    link = new Link();
                }
                boolean moved = link.toCoordinator(Integer.MAX_VALUE) | link.toAgent(Integer.MAX_VALUE);
                if (!moved && !link.closed) {
                    return;
                }
            }
            throw new AssertionError("did not settle");
        }

        void check() {
            assertThat(coordinatorApplied).as("agent events applied by the coordinator").isEqualTo(generated);
            assertThat(agentStore.size()).as("nothing left unacknowledged").isZero();
            List<Long> applied = new ArrayList<>(agentApplied);
            for (int i = 0; i < issuedByIncarnation.size(); i++) {
                List<Long> issued = issuedByIncarnation.get(i);
                List<Long> ofThis = applied.stream().filter(issued::contains).toList();
                boolean last = i == issuedByIncarnation.size() - 1;
                if (last) {
                    assertThat(ofThis).as("every command of the running coordinator, once, in order").isEqualTo(issued);
                } else {
                    // lost only if still unacknowledged when that coordinator died: never skipped, never doubled
                    assertThat(issued.subList(0, ofThis.size())).as("a prefix of incarnation %d", i).isEqualTo(ofThis);
                }
            }
            assertThat(applied).doesNotHaveDuplicates();
        }

        /** One connection: the agent's pipeline, the gateway's connection, and what is in flight each way. */
        final class Link implements AgentCommands, SessionListener, AgentConnection.Wire {
            final SessionHandler agent;
            final AgentConnection coordinator;
            final EmbeddedChannel channel;
            final ArrayDeque<Message> toAgent = new ArrayDeque<>();
            boolean closed;

            Link() {
                agent = new SessionHandler(this, this, memory);
                coordinator = new AgentConnection(this, registry, identity,
                        new GatewaySettings(5000, 20, 65536, 10_000, 18_000, 10_000, 100), streams, () -> false,
                        METRICS);
                channel = new EmbeddedChannel(agent); // active at once: the Hello is in its outbound queue
            }

            boolean toCoordinator(int max) {
                boolean moved = false;
                for (int i = 0; i < max && !closed; i++) {
                    Object m = channel.readOutbound();
                    if (m == null) {
                        break;
                    }
                    coordinator.onMessage(m);
                    moved = true;
                }
                return moved;
            }

            boolean toAgent(int max) {
                boolean moved = false;
                for (int i = 0; i < max && channel.isActive(); i++) {
                    Message m = toAgent.poll();
                    if (m == null) {
                        break;
                    }
                    channel.writeInbound(m);
                    moved = true;
                }
                return moved;
            }

            void drop() {
                toAgent.clear();
                channel.finishAndReleaseAll();
                channel.close();
                coordinator.onClosed();
            }

            // --- the agent's side of the world

            @Override
            public Hello hello(String sessionId, long lastReceivedSeq) {
                return new Hello(1, 1, "property", NodeIdentity.local("n1", "p"), 1, 0, "t", sessionId, lastReceivedSeq)
                        .withProof(credential, "");
            }

            @Override
            public void credentialIssued(String issued) {
                credential = issued; // the agent's stored credential outlives the connection, as on disk
            }

            @Override
            public Heartbeat heartbeat() {
                return new Heartbeat(0, AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(), false, 0);
            }

            @Override
            public void onCommand(Reliable command) {
                agentApplied.add(((CancelTask) command).task().jid());
            }

            @Override
            public void established() {
            }

            @Override
            public void advise(ReconnectAdvice advice) {
            }

            // --- the gateway's socket

            @Override
            public void write(Message message) {
                if (!closed) {
                    toAgent.add(message);
                }
            }

            @Override
            public void writeAndClose(Message last) {
                assertThat(last).as("the gateway never refuses or fails this well-behaved agent")
                        .isNotInstanceOf(Reject.class)
                        .isNotInstanceOfAny(Bye.class);
                write(last);
                closed = true;
            }

            @Override
            public void close() {
                closed = true;
            }

            @Override
            public void peerReceiveLimit(int maxFrameLength) {
            }

            @Override
            public String remoteAddress() {
                return "embedded";
            }
        }
    }
}
