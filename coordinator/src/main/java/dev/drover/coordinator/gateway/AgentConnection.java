package dev.drover.coordinator.gateway;

import dev.drover.coordinator.fleet.AgentLink;
import dev.drover.coordinator.fleet.Node;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.protocol.Ack;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Drain;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.ProtocolVersion;
import dev.drover.protocol.Reject;
import dev.drover.protocol.RejectReason;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.Welcome;
import io.vertx.core.internal.net.NetSocketInternal;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent connection, coordinator side: the Hello handshake (version, enrolment), then routing each
 * message to the fleet and acknowledging reliable ones. Anything out of protocol closes this connection
 * and only this one. Runs on the connection's event loop.
 */
final class AgentConnection implements AgentLink {
    private static final Logger LOGGER = LoggerFactory.getLogger(AgentConnection.class);

    private final NetSocketInternal socket;
    private final NodeRegistry registry;
    private final EnrolmentTokens tokens;
    private final GatewaySettings settings;
    private final String remote;
    private Node node;
    private String byeReason;
    private boolean closing;

    private final dev.drover.coordinator.metrics.Metrics metrics;

    AgentConnection(NetSocketInternal socket, NodeRegistry registry, EnrolmentTokens tokens,
            GatewaySettings settings, dev.drover.coordinator.metrics.Metrics metrics) {
        this.metrics = metrics;
        this.socket = socket;
        this.registry = registry;
        this.tokens = tokens;
        this.settings = settings;
        this.remote = String.valueOf(socket.remoteAddress());
    }

    boolean enrolled() {
        return node != null;
    }

    @Override
    public void send(Message message) {
        socket.writeMessage(message);
    }

    @Override
    public void close(ByeReason reason, String detail) {
        if (closing) {
            return;
        }
        closing = true;
        socket.writeMessage(new Bye(reason, detail)).onComplete(done -> socket.close());
    }

    @Override
    public String remoteAddress() {
        return remote;
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
        if (message instanceof Heartbeat hb) {
            registry.heartbeat(node, hb);
        } else if (message instanceof Drain || message instanceof RunTask || message instanceof CancelTask) {
            fail(message.type() + " is a coordinator-to-agent message");
        } else if (message instanceof Reliable event) {
            send(new Ack(registry.reliable(node, event)));
            if (event instanceof dev.drover.protocol.EvictionNotice notice) {
                metrics.evictionVisible(notice.observedAtMillis());
            }
        } else if (message instanceof Ack ack) {
            registry.commandsAcknowledged(node, ack.seq());
        } else if (message instanceof Ping ping) {
            send(new Pong(ping.nonce()));
        } else if (message instanceof TaskProgress progress) {
            registry.progress(node, progress);
            metrics.progressVisible(progress.atMillis());
        } else if (message instanceof Pong) {
            registry.alive(node);
        } else if (message instanceof Bye bye) {
            byeReason = bye.reason() + (bye.detail().isEmpty() ? "" : " (" + bye.detail() + ")");
            closing = true;
            socket.close();
        } else {
            fail(message.type() + " after Hello");
        }
    }

    private void onHello(Hello hello) {
        OptionalInt version = ProtocolVersion.negotiate(hello.minVersion(), hello.maxVersion(),
                ProtocolVersion.MIN_SUPPORTED, ProtocolVersion.CURRENT);
        if (version.isEmpty()) {
            reject(hello, RejectReason.UNSUPPORTED_VERSION, "agent speaks protocol " + hello.minVersion() + ".."
                    + hello.maxVersion() + ", this coordinator " + ProtocolVersion.MIN_SUPPORTED + ".."
                    + ProtocolVersion.CURRENT);
            return;
        }
        if (!tokens.accepts(hello.enrolmentToken())) {
            reject(hello, RejectReason.BAD_CREDENTIAL, "enrolment token not accepted");
            return;
        }
        Node.Binding binding = registry.enrol(hello, version.getAsInt(), this, b -> new Welcome(version.getAsInt(),
                b.sessionId(), hello.identity().nodeId(), b.resumed(), b.lastReceivedSeq(),
                settings.heartbeatIntervalMillis(), settings.jitterPercent(), settings.maxFrameLength(),
                System.currentTimeMillis()));
        node = registry.find(hello.identity().nodeId()).orElseThrow();
        LOGGER.atInfo().addKeyValue("nodeId", node.id()).addKeyValue("sessionId", binding.sessionId())
                .addKeyValue("resumed", binding.resumed()).addKeyValue("remote", remote)
                .addKeyValue("agentVersion", hello.agentVersion()).log("agent enrolled");
    }

    private void reject(Hello hello, RejectReason reason, String detail) {
        // peer-supplied text, before anyone vouched for the peer: cleaned and within the bad-connection budget
        BadConnectionLog.GATEWAY.warn(remote, "agent rejected", reason + ": " + detail + " (nodeId "
                + hello.identity().nodeId() + ")");
        closing = true;
        socket.writeMessage(new Reject(reason, detail, ProtocolVersion.MIN_SUPPORTED, ProtocolVersion.CURRENT))
                .onComplete(done -> socket.close());
    }

    /** A protocol violation: log once, close this connection, keep serving everyone else. */
    void fail(String why) {
        if (closing) {
            return;
        }
        if (node == null) {
            BadConnectionLog.GATEWAY.warn(remote, "closing agent connection", why);
        } else {
            LOGGER.atWarn().addKeyValue("nodeId", node.id()).addKeyValue("remote", remote)
                    .log("closing agent connection: " + LogText.clean(why));
        }
        close(ByeReason.PROTOCOL_ERROR, why);
    }

    void onClosed() {
        if (node != null) {
            registry.disconnected(node, this, Optional.ofNullable(byeReason));
        }
    }
}
