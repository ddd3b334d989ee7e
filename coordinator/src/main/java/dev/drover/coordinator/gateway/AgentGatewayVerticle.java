package dev.drover.coordinator.gateway;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.ProtocolException;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP listener agents connect to. Puts the shared Netty frame codec from {@code protocol} into each
 * connection's pipeline, so the coordinator and the agent parse bytes with the same code.
 *
 * <p>This is the one class that uses Vert.x's internal {@link NetSocketInternal} (to reach the Netty
 * pipeline); the Vert.x version is pinned in the root pom for that reason.
 */
public final class AgentGatewayVerticle extends VerticleBase {
    private final dev.drover.coordinator.metrics.Metrics metrics;
    private static final Logger LOGGER = LoggerFactory.getLogger(AgentGatewayVerticle.class);
    /** Vert.x's own handler in each connection pipeline; our codec goes in front of it. */
    private static final String VERTX_HANDLER = "handler";

    private final CoordinatorConfig.Gateway config;
    private final GatewaySettings settings;
    private final NodeRegistry registry;
    private final EnrolmentTokens tokens;
    private final AtomicInteger connections;
    private final Admission admission;
    private final BadConnectionLog badConnections = BadConnectionLog.GATEWAY;
    private SslContext tls;
    private NetServer server;

    public AgentGatewayVerticle(CoordinatorConfig config, NodeRegistry registry, EnrolmentTokens tokens,
            AtomicInteger connections, dev.drover.coordinator.metrics.Metrics metrics) {
        this.config = config.gateway();
        this.settings = GatewaySettings.from(config);
        this.registry = registry;
        this.tokens = tokens;
        this.connections = connections;
        this.metrics = metrics;
        this.admission = new Admission(config.gateway().maxPendingPerAddress());
    }

    @Override
    public Future<?> start() {
        // Before listening (a TLS problem stops the start, naming the field), and off the event loop: the first
        // run creates keys.
        return vertx.executeBlocking(() -> TlsSetup.serverContext(config)).compose(context -> {
            tls = context;
            return listen();
        });
    }

    private Future<NetServer> listen() {
        server = vertx.createNetServer(new NetServerOptions().setHost(config.host()).setPort(config.port())
                .setTcpNoDelay(true).setTcpKeepAlive(true));
        server.connectHandler(this::onConnect);
        return server.listen();
    }

    public int actualPort() {
        return server.actualPort();
    }

    private void onConnect(NetSocket plain) {
        NetSocketInternal socket = (NetSocketInternal) plain;
        if (connections.incrementAndGet() > settings.maxConnections()) {
            connections.decrementAndGet();
            LOGGER.atWarn().addKeyValue("remote", socket.remoteAddress()).addKeyValue("limit", settings.maxConnections())
                    .log("connection limit reached; refusing agent connection");
            socket.close();
            return;
        }
        ChannelPipeline pipeline = socket.channelHandlerContext().pipeline();
        InetAddress address = ((InetSocketAddress) pipeline.channel().remoteAddress()).getAddress();
        if (!admission.tryAdmit(address)) {
            connections.decrementAndGet();
            badConnections.warn(socket.remoteAddress(), "refusing agent connection", "already "
                    + config.maxPendingPerAddress() + " connections from this address without an accepted Hello");
            socket.close();
            return;
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                admission.release(address);
            }
        };
        if (tls != null) {
            pipeline.addFirst("tls", TlsSetup.newHandler(tls, pipeline.channel(), settings.helloTimeoutMillis()));
        }
        // One deadline for the whole Hello from accept, and bounded bytes before it (PreHelloGuard).
        pipeline.addBefore(VERTX_HANDLER, "preHello", new PreHelloGuard(settings.helloTimeoutMillis(),
                PreHelloGuard.MAX_BYTES_BEFORE_HELLO, String.valueOf(socket.remoteAddress()), badConnections, release));
        pipeline.addBefore(VERTX_HANDLER, "frameDecoder", new FrameDecoder(settings.maxFrameLength()));
        pipeline.addBefore(VERTX_HANDLER, "frameEncoder", FrameEncoder.INSTANCE);

        AgentConnection connection = new AgentConnection(socket, registry, tokens, settings, metrics);
        socket.messageHandler(msg -> {
            boolean wasEnrolled = connection.enrolled();
            connection.onMessage(msg);
            if (!wasEnrolled && connection.enrolled()) {
                // Past the handshake, a connection may stay quiet for as long as a node may before it is Lost.
                pipeline.remove("preHello");
                pipeline.addBefore("frameDecoder", "idle", new SilenceDetector(settings.idleCloseMillis()));
            }
        });
        socket.eventHandler(event -> {
            if (event == SilenceDetector.SILENT) {
                connection.fail(connection.enrolled() ? "silent for " + settings.idleCloseMillis() + " ms"
                        : "no Hello within " + settings.helloTimeoutMillis() + " ms");
            }
        });
        socket.exceptionHandler(error -> {
            if (!connection.enrolled()) {
                // Nobody has vouched for this peer yet: no Bye, no stack trace, and logged within a budget.
                badConnections.warn(socket.remoteAddress(), "closing agent connection", "before Hello: "
                        + error.getMessage());
                socket.close();
            } else if (error instanceof ProtocolException) {
                connection.fail("protocol error: " + error.getMessage());
            } else {
                LOGGER.atDebug().addKeyValue("remote", socket.remoteAddress()).setCause(error).log("connection error");
                socket.close();
            }
        });
        socket.closeHandler(v -> {
            release.run();
            connections.decrementAndGet();
            connection.onClosed();
        });
    }

    /**
     * Reader-idle detection that fires its own event: Vert.x closes a connection on Netty's IdleStateEvent
     * by itself, which would skip our Bye with the reason.
     */
    static final class SilenceDetector extends IdleStateHandler {
        static final Object SILENT = new Object();

        SilenceDetector(long millis) {
            super(millis, 0, 0, TimeUnit.MILLISECONDS);
        }

        @Override
        protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
            ctx.fireUserEventTriggered(SILENT);
        }
    }
}
