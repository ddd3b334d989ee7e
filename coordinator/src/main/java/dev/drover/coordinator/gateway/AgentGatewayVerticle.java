package dev.drover.coordinator.gateway;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.identity.IdentityGate;
import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.ProtocolException;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import dev.drover.protocol.Message;
import dev.drover.protocol.ProtocolLimits;
import dev.drover.protocol.RejectReason;
import dev.drover.protocol.TaskProgress;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
    /** How long stop() waits for the Byes to be flushed before closing the listener. */
    private static final long SHUTDOWN_FLUSH_MILLIS = 2000;
    /** A distinct shared random port for each gateway in this JVM (tests run several). */
    private static final java.util.concurrent.atomic.AtomicLong SHARED_RANDOM_PORTS = new java.util.concurrent.atomic.AtomicLong();

    private final CoordinatorConfig.Gateway config;
    private final GatewaySettings settings;
    private final NodeRegistry registry;
    private final IdentityGate identity;
    private final AtomicInteger connections;
    private final InboundStreams streams;
    private final Set<AgentConnection> live = ConcurrentHashMap.newKeySet();
    private volatile boolean shuttingDown;
    private Future<Void> goodbye;
    private final Admission admission;
    private final BadConnectionLog badConnections = BadConnectionLog.GATEWAY;
    private SslContext tls;
    /** The first listener (bound to the configured port) and one more per extra event loop, sharing its port. */
    private final List<NetServer> servers = new CopyOnWriteArrayList<>();
    /** Live connections per event loop thread: how the kernel's accepts were spread (tests, diagnostics). */
    private final ConcurrentHashMap<String, AtomicInteger> perLoop = new ConcurrentHashMap<>();

    public AgentGatewayVerticle(CoordinatorConfig config, NodeRegistry registry, EnrolmentTokens tokens,
            AtomicInteger connections, dev.drover.coordinator.metrics.Metrics metrics) {
        this(config, registry, tokens, connections, metrics, new MemoryDeliveryLedger());
    }

    /** @param ledger where applied agent stream positions are kept; durable across restarts when persisted */
    public AgentGatewayVerticle(CoordinatorConfig config, NodeRegistry registry, EnrolmentTokens tokens,
            AtomicInteger connections, dev.drover.coordinator.metrics.Metrics metrics, DeliveryLedger ledger) {
        this(config, registry, tokensOnly(tokens, config), connections, metrics, ledger);
    }

    /** @param identity who may speak for which node id (credentials, tokens, attestation) */
    public AgentGatewayVerticle(CoordinatorConfig config, NodeRegistry registry, IdentityGate identity,
            AtomicInteger connections, dev.drover.coordinator.metrics.Metrics metrics, DeliveryLedger ledger) {
        this.config = config.gateway();
        this.settings = GatewaySettings.from(config);
        this.registry = registry;
        this.identity = identity;
        this.connections = connections;
        this.metrics = metrics;
        this.streams = new InboundStreams(ledger);
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

    /**
     * Listens on {@code gateway.eventLoops} event loops: the first listener binds the port; each further one, in
     * a verticle of its own (so on an event loop of its own), listens on the same address and port, which Vert.x
     * serves from the one bound socket, handing each accepted connection to the listeners in turn. A connection
     * then stays on its loop for life. Everything connections share (registry, identity, streams, limits) is
     * safe across threads; Hellos are decided one at a time ({@link AgentConnection}).
     */
    private Future<?> listen() {
        // Vert.x shares one bound socket among listeners asking for the same host and port, but never for port 0;
        // a negative port means "a random port, shared by every listener asking for this same negative port".
        int port = config.port() != 0 || config.eventLoops() == 1 ? config.port()
                : -1 - (int) (SHARED_RANDOM_PORTS.getAndIncrement() % 10_000);
        return listenOn(vertx, port).compose(first -> {
            List<Future<?>> more = new ArrayList<>();
            for (int i = 1; i < config.eventLoops(); i++) {
                more.add(vertx.deployVerticle(new VerticleBase() {
                    @Override
                    public Future<?> start() {
                        return listenOn(vertx, port);
                    }

                    /**
                     * Vert.x stops these child listeners before the gateway itself, closing their connections:
                     * every agent is told Bye(SHUTDOWN) first, whichever loop it is on.
                     */
                    @Override
                    public Future<?> stop() {
                        return goodbye();
                    }
                }));
            }
            return Future.all(more);
        });
    }

    /** A listener on the calling verticle's event loop. */
    private Future<NetServer> listenOn(io.vertx.core.Vertx owner, int port) {
        NetServer server = owner.createNetServer(new NetServerOptions().setHost(config.host()).setPort(port)
                .setTcpNoDelay(true).setTcpKeepAlive(true));
        server.connectHandler(this::onConnect);
        servers.add(server);
        return server.listen();
    }

    /**
     * Says Bye(SHUTDOWN) to every agent before the listener closes, so agents reconnect with backoff to the
     * next coordinator instead of treating the silence as a failure, and new Hellos get Reject(SHUTTING_DOWN).
     * Closing these connections does not make their nodes Suspect: the agents did not go anywhere.
     */
    @Override
    public Future<?> stop() {
        return goodbye().compose(v -> Future.all(servers.stream().map(NetServer::close).toList()));
    }

    /** Bye(SHUTDOWN) to every connected agent, once, then up to 2 s for the Byes to be flushed. */
    private synchronized Future<Void> goodbye() {
        if (goodbye != null) {
            return goodbye;
        }
        shuttingDown = true;
        for (AgentConnection connection : live) {
            connection.shutdown();
        }
        Promise<Void> flushed = Promise.promise();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_FLUSH_MILLIS);
        vertx.setPeriodic(20, timer -> {
            if (live.isEmpty() || System.nanoTime() > deadline) {
                vertx.cancelTimer(timer);
                flushed.complete();
            }
        });
        LOGGER.atInfo().addKeyValue("agents", live.size()).log("gateway stopping; agents told to reconnect later");
        goodbye = flushed.future();
        return goodbye;
    }

    /** Farm tokens only, credentials in memory, no attestation: a gateway on its own (tests). */
    private static IdentityGate tokensOnly(EnrolmentTokens tokens, CoordinatorConfig config) {
        return IdentityGate.tokensOnly(tokens.tokens(), config.enrolment().maxUnpooledNodes());
    }

    public int actualPort() {
        return servers.get(0).actualPort();
    }

    /** Live agent connections by the event loop serving them. */
    Map<String, Integer> connectionsPerEventLoop() {
        Map<String, Integer> out = new java.util.TreeMap<>();
        perLoop.forEach((loop, n) -> {
            if (n.get() > 0) {
                out.put(loop, n.get());
            }
        });
        return out;
    }

    private void onConnect(NetSocket plain) {
        NetSocketInternal socket = (NetSocketInternal) plain;
        ChannelPipeline pipeline = socket.channelHandlerContext().pipeline();
        if (connections.incrementAndGet() > settings.maxConnections()) {
            connections.decrementAndGet();
            LOGGER.atWarn().addKeyValue("remote", socket.remoteAddress()).addKeyValue("limit", settings.maxConnections())
                    .log("connection limit reached; refusing agent connection");
            // Said at once, without waiting for the Hello: the agent reads it as the answer to its Hello.
            pipeline.addBefore(VERTX_HANDLER, "frameEncoder", FrameEncoder.INSTANCE);
            socket.writeMessage(HelloCheck.rejectOf(RejectReason.OVERLOADED, "connection limit "
                    + settings.maxConnections() + " reached; retry with backoff")).onComplete(done -> socket.close());
            return;
        }
        LinkKeepalive.configure(socket.channelHandlerContext().channel(), settings);
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

        AtomicInteger onThisLoop = perLoop.computeIfAbsent(Thread.currentThread().getName(), t -> new AtomicInteger());
        onThisLoop.incrementAndGet();
        AgentConnection connection = new AgentConnection(new SocketWire(socket, String.valueOf(socket.remoteAddress())),
                registry, identity, settings, streams,
                () -> shuttingDown, metrics);
        live.add(connection);
        MessageRateLimit rate = new MessageRateLimit(config.messageRate().perSecond(), config.messageRate().burst(),
                System::nanoTime);
        socket.messageHandler(msg -> {
            boolean wasEnrolled = connection.enrolled();
            if (wasEnrolled && !admit(connection, rate, msg)) {
                return;
            }
            connection.onMessage(msg);
            if (!wasEnrolled && connection.enrolled()) {
                // Past the handshake: silent for the Suspect time means the link is gone; and we write at
                // least every keepalive interval so the agent knows we are here.
                pipeline.remove("preHello");
                pipeline.addBefore(VERTX_HANDLER, "idle", new LinkIdle(settings.idleCloseMillis(),
                        settings.keepaliveMillis()));
            }
        });
        socket.eventHandler(event -> {
            if (event == LinkIdle.SILENT) {
                connection.silent(connection.enrolled() ? "silent for " + settings.idleCloseMillis() + " ms"
                        : "no Hello within " + settings.helloTimeoutMillis() + " ms");
            } else if (event == LinkIdle.KEEPALIVE) {
                connection.keepalive();
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
            onThisLoop.decrementAndGet();
            release.run();
            connections.decrementAndGet();
            live.remove(connection);
            connection.onClosed();
        });
    }

    /** Applies the session's message-rate limit (enrolled sessions only: before the Hello, PreHelloGuard bounds). */
    private boolean admit(AgentConnection connection, MessageRateLimit rate, Object msg) {
        MessageRateLimit.Verdict verdict = rate.admit(msg instanceof TaskProgress);
        if (verdict == MessageRateLimit.Verdict.CLOSE) {
            connection.tooFast("more than " + config.messageRate().perSecond() + " messages a second (burst "
                    + config.messageRate().burst() + ")");
        }
        if (verdict != MessageRateLimit.Verdict.ACCEPT) {
            metrics.rateLimited(verdict == MessageRateLimit.Verdict.DROP);
        }
        return verdict == MessageRateLimit.Verdict.ACCEPT;
    }

    /**
     * The Vert.x socket as an {@link AgentConnection.Wire}; a frame that cannot be written is logged, never silent.
     * The peer's address is formatted once: every tick's fleet snapshot reads it for each node.
     */
    private record SocketWire(NetSocketInternal socket, String remote) implements AgentConnection.Wire {
        @Override
        public void write(Message message) {
            socket.writeMessage(message).onFailure(e -> LOGGER.atWarn().addKeyValue("remote", socket.remoteAddress())
                    .addKeyValue("type", message.type()).log("cannot send to agent: " + e.getMessage()));
        }

        @Override
        public void writeAndClose(Message last) {
            socket.writeMessage(last).onComplete(done -> socket.close());
        }

        @Override
        public void close() {
            socket.close();
        }

        @Override
        public void peerReceiveLimit(int maxFrameLength) {
            if (maxFrameLength != ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH) {
                socket.channelHandlerContext().pipeline().replace("frameEncoder", "frameEncoder",
                        new FrameEncoder(maxFrameLength));
            }
        }

        @Override
        public String remoteAddress() {
            return remote;
        }
    }

    /**
     * Idle detection that fires its own events: Vert.x closes a connection on Netty's IdleStateEvent by
     * itself, which would skip our Bye with the reason. Reader silence is confirmed once more after a short
     * pause before it counts: after an event-loop stall the idle timer can run before the bytes that arrived
     * during the stall are read, and those bytes prove the agent alive (no reconnect storm after a stall).
     */
    static final class LinkIdle extends IdleStateHandler {
        static final Object SILENT = new Object();
        static final Object KEEPALIVE = new Object();
        static final long CONFIRM_MILLIS = 100;
        private long reads;

        LinkIdle(long silentMillis, long keepaliveMillis) {
            super(silentMillis, keepaliveMillis, 0, TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            reads++;
            super.channelRead(ctx, msg);
        }

        @Override
        protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
            if (evt.state() == IdleState.WRITER_IDLE) {
                ctx.fireUserEventTriggered(KEEPALIVE);
                return;
            }
            long seen = reads;
            ctx.executor().schedule(() -> {
                if (reads == seen && ctx.channel().isActive()) {
                    ctx.fireUserEventTriggered(SILENT);
                }
            }, CONFIRM_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
