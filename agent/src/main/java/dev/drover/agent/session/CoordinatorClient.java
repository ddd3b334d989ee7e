package dev.drover.agent.session;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.tls.CoordinatorTls;
import dev.drover.agent.tls.HandshakeGate;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.TaskRef;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one connection to the coordinator: connects, keeps reconnecting with capped exponential
 * backoff and jitter, and carries reliable events (kept in {@link SessionMemory} until acknowledged) and
 * latest-value progress (coalesced per task). Runs on one small event loop; everything that touches the
 * channel happens on that loop, so ordering needs no locks.
 */
public final class CoordinatorClient implements SessionListener {
    private static final Logger LOGGER = LoggerFactory.getLogger(CoordinatorClient.class);

    private final AgentConfig config;
    private final SessionMemory memory;
    private final AgentCommands commands;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final Class<? extends Channel> channelType;
    private final Backoff backoff;
    private final Map<TaskRef, TaskProgress> pendingProgress = new ConcurrentHashMap<>();
    private final AtomicBoolean progressFlushScheduled = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile Channel channel;
    private volatile SessionHandler session;
    /** What the coordinator last said about coming back; used for the next wait only. */
    private ReconnectAdvice advice = ReconnectAdvice.BACKOFF;

    public CoordinatorClient(AgentConfig config, AgentCommands commands, SessionMemory memory) {
        this.config = config;
        this.memory = memory;
        this.commands = commands;
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.loop = group.next();
        this.backoff = new Backoff(config.reconnect().initialDelayMillis(), config.reconnect().maxDelayMillis(),
                config.reconnect().refusedMaxDelayMillis(), ThreadLocalRandom.current());
        this.channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        long silenceMillis = SessionHandler.silenceMillis(config.heartbeat().intervalMillis());
        CoordinatorTls tls = CoordinatorTls.from(config.coordinator()); // no pin and no explicit plaintext: refused
        String coordinatorAddress = config.coordinator().host() + ":" + config.coordinator().port();
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SessionHandler handler = new SessionHandler(CoordinatorClient.this, commands, memory);
                        session = handler;
                        AgentKeepalive.configure(ch, silenceMillis);
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch, config.coordinator().port()))
                                    .addLast("tlsGate", new HandshakeGate(coordinatorAddress));
                        }
                        ch.pipeline()
                                .addLast(SessionHandler.IDLE,
                                        new IdleStateHandler(silenceMillis, 0, 0, TimeUnit.MILLISECONDS))
                                .addLast("decoder", new FrameDecoder())
                                .addLast("encoder", FrameEncoder.INSTANCE)
                                .addLast("session", handler);
                    }
                });
        LOGGER.atInfo().addKeyValue("transport", epoll ? "epoll" : "nio").log("network transport chosen");
    }

    public void start() {
        loop.execute(this::connect);
    }

    /** The agent's one event loop group, shared with other small network jobs (the NFS RPC probe). */
    public EventLoopGroup group() {
        return group;
    }

    public Class<? extends Channel> channelType() {
        return channelType;
    }

    private void connect() {
        if (stopping) {
            return;
        }
        String host = config.coordinator().host();
        int port = config.coordinator().port();
        ChannelFuture f = bootstrap.connect(host, port);
        channel = f.channel();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                LOGGER.atInfo().addKeyValue("coordinator", host + ":" + port)
                        .addKeyValue("error", String.valueOf(done.cause().getMessage()))
                        .log("cannot reach coordinator");
                scheduleReconnect(refusedAtOnce(done.cause()));
            } else {
                f.channel().closeFuture().addListener(closed -> scheduleReconnect(false));
            }
        });
    }

    /**
     * The connection was refused at once (RST or an immediate error, not a timeout): the coordinator's host is
     * there and nothing listens, as while the coordinator restarts. Netty reports a timeout as a
     * ConnectTimeoutException, which is also a ConnectException.
     */
    static boolean refusedAtOnce(Throwable cause) {
        return cause instanceof java.net.ConnectException && !(cause instanceof io.netty.channel.ConnectTimeoutException);
    }

    private void scheduleReconnect(boolean refused) {
        if (stopping) {
            return;
        }
        long delay = refused && advice == ReconnectAdvice.BACKOFF ? backoff.nextDelayAfterRefusalMillis()
                : advice.delayMillis(backoff, ThreadLocalRandom.current());
        advice = ReconnectAdvice.BACKOFF;
        LOGGER.atDebug().addKeyValue("delayMillis", delay).log("reconnect scheduled");
        loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void advise(ReconnectAdvice advice) {
        this.advice = advice;
    }

    /** Called by the session once the coordinator welcomed us. */
    @Override
    public void established() {
        backoff.reset();
        flushProgress();
    }

    /**
     * Records a reliable event and sends it when a session is up. It stays in the outbox until the
     * coordinator acknowledges it, across any number of reconnects.
     */
    public Reliable send(LongFunction<Reliable> create) {
        Reliable message = memory.outbox().add(create);
        loop.execute(() -> {
            SessionHandler s = session;
            if (s != null) {
                s.sendIfEstablished(message);
            }
        });
        return message;
    }

    /** Offers the newest progress of a task; older values not yet sent are replaced, never queued. */
    public void offerProgress(TaskProgress progress) {
        pendingProgress.put(progress.task(), progress);
        if (progressFlushScheduled.compareAndSet(false, true)) {
            loop.execute(this::flushProgress);
        }
    }

    private void flushProgress() {
        progressFlushScheduled.set(false);
        SessionHandler s = session;
        if (s == null || !s.established()) {
            return; // kept until the next session is up; only the latest per task
        }
        for (TaskRef task : pendingProgress.keySet()) {
            TaskProgress p = pendingProgress.remove(task);
            if (p != null) {
                s.sendIfEstablished(p);
            }
        }
    }

    /** Sends a heartbeat now (the agent's state changed in a way the coordinator must know at once). */
    public void heartbeatNow() {
        loop.execute(() -> {
            SessionHandler s = session;
            if (s != null && s.established()) {
                s.sendIfEstablished(commands.heartbeat());
            }
        });
    }

    public boolean connected() {
        SessionHandler s = session;
        return s != null && s.established();
    }

    /**
     * Says goodbye and shuts the network down. Waits up to {@code flushMillis} for the coordinator to
     * acknowledge buffered events first, so a clean stop (systemd, scale-in) loses nothing.
     */
    public void stop(ByeReason reason, String detail, long flushMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(flushMillis);
        while (connected() && memory.outbox().size() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        stopping = true;
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(new Bye(reason, detail)).addListener(f -> ch.close()).await(1000);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(3000);
    }
}
