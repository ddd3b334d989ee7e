package dev.drover.coordinator.gateway;

import dev.drover.coordinator.fleet.AgentLink;
import dev.drover.coordinator.identity.IdentityGate;
import dev.drover.coordinator.fleet.Node;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.metrics.Metrics;
import dev.drover.protocol.Ack;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Drain;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.ProtocolVersion;
import dev.drover.protocol.Reject;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.Welcome;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent connection, coordinator side: the Hello handshake (checks, version, session, streams), then
 * routing each message to the fleet and acknowledging reliable ones once applied. Anything out of protocol
 * closes this connection and only this one. Runs on the connection's event loop.
 */
final class AgentConnection implements AgentLink {
    private static final Logger LOGGER = LoggerFactory.getLogger(AgentConnection.class);

    /** The socket as this class needs it, so the protocol logic runs without a network in tests. */
    interface Wire {
        void write(Message message);

        /** Writes {@code last}, then closes once it is flushed. */
        void writeAndClose(Message last);

        void close();

        /** The largest frame the peer accepts (its Hello's receive limit). */
        void peerReceiveLimit(int maxFrameLength);

        String remoteAddress();
    }

    private final Wire wire;
    private final NodeRegistry registry;
    private final IdentityGate identity;
    /** The credential this connection's Welcome issued, until the agent speaks again (then it is confirmed). */
    private String issuedHere = "";
    private final GatewaySettings settings;
    private final InboundStreams streams;
    private final BooleanSupplier shuttingDown;
    private final Metrics metrics;
    private Node node;
    private String agentStream = "";
    private String byeReason;
    private volatile boolean closing;

    AgentConnection(Wire wire, NodeRegistry registry, IdentityGate identity, GatewaySettings settings,
            InboundStreams streams, BooleanSupplier shuttingDown, Metrics metrics) {
        this.wire = wire;
        this.registry = registry;
        this.identity = identity;
        this.settings = settings;
        this.streams = streams;
        this.shuttingDown = shuttingDown;
        this.metrics = metrics;
    }

    boolean enrolled() {
        return node != null;
    }

    @Override
    public void send(Message message) {
        wire.write(message);
    }

    @Override
    public void close(ByeReason reason, String detail) {
        if (closing) {
            return;
        }
        closing = true;
        wire.writeAndClose(new Bye(reason, detail));
    }

    @Override
    public String remoteAddress() {
        return wire.remoteAddress();
    }

    void onMessage(Object msg) {
        if (closing) {
            return;
        }
        if (!(msg instanceof Message message)) {
            fail("unexpected object " + msg.getClass().getSimpleName());
            return;
        }
        metrics.message(message.type());
        if (node == null) {
            if (message instanceof Hello hello) {
                onHello(hello);
            } else {
                fail(message.type() + " before Hello");
            }
            return;
        }
        if (!issuedHere.isEmpty()) {
            // the agent keeps an issued credential before it says anything after the Welcome; only the one
            // issued here is confirmed (a newer Hello on another loop may have replaced it meanwhile)
            identity.confirmed(node.id(), issuedHere);
            issuedHere = "";
        }
        if (message instanceof Heartbeat hb) {
            registry.heartbeat(node, hb);
        } else if (message instanceof Drain || message instanceof RunTask || message instanceof CancelTask) {
            fail(message.type() + " is a coordinator-to-agent message");
        } else if (message instanceof Reliable event) {
            onReliable(event);
        } else if (message instanceof Ack ack) {
            registry.commandsAcknowledged(node, ack.seq());
        } else if (message instanceof Ping ping) {
            registry.alive(node);
            send(new Pong(ping.nonce()));
        } else if (message instanceof TaskProgress progress) {
            registry.progress(node, progress);
            metrics.progressVisible(progress.atMillis());
        } else if (message instanceof Pong) {
            registry.alive(node);
        } else if (message instanceof Bye bye) {
            byeReason = bye.reason() + (bye.detail().isEmpty() ? "" : " (" + bye.detail() + ")");
            closing = true;
            wire.close();
        } else {
            fail(message.type() + " after Hello");
        }
    }

    private void onReliable(Reliable event) {
        OptionalLong ack = streams.deliver(node, agentStream, event, keep -> registry.reliable(node, event, keep));
        if (ack.isEmpty()) {
            // A newer connection owns this node's stream now (this one is being closed with SUPERSEDED), or
            // the event could not be kept (the registry closed the link): no Ack, the agent resends it.
            LOGGER.atDebug().addKeyValue("nodeId", node.id()).addKeyValue("seq", event.seq())
                    .log("reliable message on a superseded connection ignored");
            return;
        }
        send(new Ack(ack.getAsLong()));
        if (event instanceof EvictionNotice notice) {
            metrics.evictionVisible(notice.observedAtMillis());
        }
    }

    /**
     * One Hello at a time across all of the gateway's event loops: deciding who may speak for a node id (its
     * credential, the unpooled cap, a second Hello for a live id) and binding the session are check-then-act on
     * state every connection shares. Hellos are rare next to heartbeats, which run on every loop in parallel.
     */
    private void onHello(Hello hello) {
        synchronized (identity) {
            decideHello(hello);
        }
    }

    private void decideHello(Hello hello) {
        Optional<Reject> refusal = HelloCheck.beforeCredential(hello, shuttingDown.getAsBoolean());
        if (refusal.isPresent()) {
            reject(hello, refusal.get());
            return;
        }
        IdentityGate.Outcome outcome = identity.admit(hello, this::live);
        if (outcome instanceof IdentityGate.Refuse no) {
            reject(hello, no.nonce().isEmpty() ? HelloCheck.rejectOf(no.reason(), no.detail())
                    : HelloCheck.challengeOf(no.detail(), no.nonce()));
            return;
        }
        refusal = HelloCheck.afterCredential(hello);
        if (refusal.isPresent()) {
            reject(hello, refusal.get());
            return;
        }
        IdentityGate.Admit admit = (IdentityGate.Admit) outcome;
        String issued = admit.issue() ? identity.issue(hello, admit) : "";
        issuedHere = issued;
        int version = ProtocolVersion.negotiate(hello.minVersion(), hello.maxVersion(),
                ProtocolVersion.MIN_SUPPORTED, ProtocolVersion.CURRENT).orElseThrow();
        String nodeId = hello.identity().nodeId();
        wire.peerReceiveLimit(hello.receiveLimit());
        Node.Binding binding = registry.enrol(hello, version, this, b -> {
            agentStream = hello.agentStreamId().isEmpty() ? InboundStreams.SESSION_STREAM + b.sessionId()
                    : hello.agentStreamId();
            return new Welcome(version, b.sessionId(), nodeId, b.resumed(), streams.open(nodeId, agentStream),
                    settings.heartbeatIntervalMillis(), settings.jitterPercent(), settings.maxFrameLength(),
                    System.currentTimeMillis(), b.commandStreamId(), issued);
        });
        node = registry.find(nodeId).orElseThrow();
        LOGGER.atInfo().addKeyValue("nodeId", nodeId).addKeyValue("sessionId", binding.sessionId())
                .addKeyValue("resumed", binding.resumed()).addKeyValue("remote", remoteAddress())
                .addKeyValue("agentStream", agentStream).addKeyValue("agentVersion", hello.agentVersion())
                .log("agent enrolled");
    }

    private boolean live(String nodeId) {
        return registry.find(nodeId).map(n -> n.snapshot().connected()).orElse(false);
    }

    private void reject(Hello hello, Reject reject) {
        // peer-supplied text, before anyone vouched for the peer: cleaned and within the bad-connection budget
        // the node id first: the line is cut at 200 characters, and long details must not hide whose it was
        BadConnectionLog.GATEWAY.warn(remoteAddress(), "agent rejected", "nodeId " + hello.identity().nodeId() + ": "
                + reject.reason() + ": " + reject.detail());
        closing = true;
        wire.writeAndClose(reject);
    }

    /**
     * Nothing was written to the agent for a while: an Ack of what was applied tells it the link and the
     * coordinator are alive, needs no answer and is idempotent (PROTOCOL.md §6, "Liveness").
     */
    void keepalive() {
        if (node != null && !closing) {
            send(new Ack(streams.applied(node.id(), agentStream)));
        }
    }

    /** The agent has been silent too long: say why and close. */
    void silent(String why) {
        if (closing) {
            return;
        }
        if (node == null) {
            BadConnectionLog.GATEWAY.warn(remoteAddress(), "closing silent agent connection", why);
        } else {
            LOGGER.atWarn().addKeyValue("nodeId", node.id()).addKeyValue("remote", remoteAddress())
                    .log("closing silent agent connection: " + why);
        }
        close(ByeReason.IDLE_TIMEOUT, why);
    }

    /** The coordinator is stopping: the agent should come back later, and the node is not lost for it. */
    void shutdown() {
        close(ByeReason.SHUTDOWN, "coordinator stopping");
    }

    /** A protocol violation: log once, close this connection, keep serving everyone else. */
    void fail(String why) {
        if (closing) {
            return;
        }
        if (node == null) {
            BadConnectionLog.GATEWAY.warn(remoteAddress(), "closing agent connection", why);
        } else {
            // enrolled, but a token holder can still send garbage in a loop: the sessions' own log budget
            BadConnectionLog.SESSIONS.warn(remoteAddress(), "closing agent connection", "nodeId " + node.id() + ": "
                    + why);
        }
        close(ByeReason.PROTOCOL_ERROR, why);
    }

    /**
     * The session sends faster than its message-rate limit allows: close it. Logged within the shared
     * bad-session budget, so a flood of such sessions cannot flood the log.
     */
    void tooFast(String why) {
        if (closing || node == null) {
            return;
        }
        BadConnectionLog.SESSIONS.warn(remoteAddress(), "closing agent connection",
                "nodeId " + node.id() + ": " + why);
        close(ByeReason.PROTOCOL_ERROR, why);
    }

    void onClosed() {
        if (node != null) {
            registry.disconnected(node, this, Optional.ofNullable(byeReason));
        }
    }
}
