package dev.drover.coordinator.bench;

import dev.drover.protocol.AgentState;
import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.Welcome;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ingest benchmark's load: N agents in this process, each on a TCP connection of its own, speaking
 * PROTOCOL.md in plaintext (the gateway's {@code insecurePlaintext}, as the fault tests' simulated agents do):
 * Hello, then a heartbeat every interval ±20 % and, for every other agent, task progress at 2 Hz. Ping is
 * answered; a lost connection is resumed after a full-jitter backoff (0.5 s doubling to 8 s), and counted. Against
 * the bare reader ({@code expectWelcome=false}) the same frames flow without waiting for a Welcome.
 */
final class LoadAgents implements AutoCloseable {
    static final long PROGRESS_MILLIS = 500;

    private final EventLoopGroup group;
    /**
     * Every open connection, closed explicitly on close(): shutting the event loops down alone left ~9,500
     * sockets of a 19,000-agent run open in CLOSE-WAIT, and the next run (the bare reader's) then hit the
     * process's open-file limit.
     */
    private final io.netty.channel.group.ChannelGroup channels =
            new io.netty.channel.group.DefaultChannelGroup(io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);
    private final Bootstrap bootstrap;
    private final String host;
    private final int port;
    private final String token;
    private final long heartbeatMillis;
    private final boolean expectWelcome;
    private volatile boolean closed;
    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger welcomed = new AtomicInteger();
    final AtomicLong drops = new AtomicLong();
    final AtomicLong frames = new AtomicLong();

    LoadAgents(String host, int port, String token, long heartbeatMillis, boolean expectWelcome) {
        this.host = host;
        this.port = port;
        this.token = token;
        this.heartbeatMillis = heartbeatMillis;
        this.expectWelcome = expectWelcome;
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(2, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        bootstrap = new Bootstrap().group(group).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000).option(ChannelOption.TCP_NODELAY, true);
    }

    /** Connects agents {@code from} (inclusive) to {@code to}, a few hundred a second, as a booting farm would. */
    void start(String prefix, int from, int to, int perSecond) throws InterruptedException {
        long pause = Math.max(1, 1000L * 50 / Math.max(1, perSecond));
        for (int i = from; i < to; i++) {
            connect(new Agent(prefix + String.format("%05d", i), i % 2 == 0, i), 0);
            if (i % 50 == 49) {
                Thread.sleep(pause);
            }
        }
    }

    private void connect(Agent a, int attempt) {
        if (closed) {
            return;
        }
        bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                channels.add(ch);
                ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE, a);
            }
        }).connect(host, port).addListener(f -> {
            if (!f.isSuccess()) {
                retry(a, attempt + 1);
            }
        });
    }

    private void retry(Agent a, int attempt) {
        if (closed) {
            return;
        }
        long cap = Math.min(8_000, 500L << Math.min(attempt, 5));
        group.next().schedule(() -> connect(a, attempt), ThreadLocalRandom.current().nextLong(cap + 1),
                TimeUnit.MILLISECONDS);
    }

    /** One simulated agent; its handler is reused across its connections (one at a time). */
    @io.netty.channel.ChannelHandler.Sharable
    private final class Agent extends SimpleChannelInboundHandler<Object> {
        private final String id;
        private final boolean busy;
        private final TaskRef task;
        private String sessionId = "";
        /** The node credential the first Welcome issued: a reconnect presents it, as a real agent does. */
        private String credential = "";
        private float percent;
        private int attempt;
        private ScheduledFuture<?> beat;
        private ScheduledFuture<?> progress;

        Agent(String id, boolean busy, int index) {
            this.id = id;
            this.busy = busy;
            this.task = new TaskRef(1, index + 1, 1);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connected.incrementAndGet();
            ctx.writeAndFlush(new Hello(1, 1, "bench", NodeIdentity.local(id, "bench"), 1, 0, token, sessionId, 0)
                    .withProof(credential, ""));
            if (!expectWelcome) {
                startReporting(ctx, heartbeatMillis);
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Welcome w) {
                sessionId = w.sessionId();
                if (!w.nodeCredential().isEmpty()) {
                    credential = w.nodeCredential();
                }
                attempt = 0;
                welcomed.incrementAndGet();
                startReporting(ctx, w.heartbeatIntervalMillis());
            } else if (msg instanceof Ping p) {
                ctx.writeAndFlush(new Pong(p.nonce()));
            }
        }

        private void startReporting(ChannelHandlerContext ctx, long interval) {
            send(ctx, heartbeat());
            beat = ctx.executor().schedule(() -> beatLoop(ctx, interval), jittered(interval), TimeUnit.MILLISECONDS);
            if (busy) {
                long first = ThreadLocalRandom.current().nextLong(PROGRESS_MILLIS);
                progress = ctx.executor().scheduleAtFixedRate(() -> {
                    percent = percent >= 99 ? 1 : percent + 0.5f;
                    send(ctx, new TaskProgress(task, percent, 1, 60, System.currentTimeMillis()));
                }, first, PROGRESS_MILLIS, TimeUnit.MILLISECONDS);
            }
        }

        private void beatLoop(ChannelHandlerContext ctx, long interval) {
            if (!ctx.channel().isActive()) {
                return;
            }
            send(ctx, heartbeat());
            beat = ctx.executor().schedule(() -> beatLoop(ctx, interval), jittered(interval), TimeUnit.MILLISECONDS);
        }

        private Heartbeat heartbeat() {
            return new Heartbeat(System.currentTimeMillis(), busy ? AgentState.BUSY : AgentState.IDLE, busy ? 1 : 0,
                    HostMetrics.UNKNOWN, List.of(), false, 0);
        }

        private void send(ChannelHandlerContext ctx, Object m) {
            if (ctx.channel().isActive()) {
                frames.incrementAndGet();
                ctx.writeAndFlush(m, ctx.voidPromise());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connected.decrementAndGet();
            if (beat != null) {
                beat.cancel(false);
            }
            if (progress != null) {
                progress.cancel(false);
            }
            if (!closed) {
                drops.incrementAndGet();
                retry(this, ++attempt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static long jittered(long interval) {
        return (long) (interval * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
    }

    @Override
    public void close() {
        closed = true;
        channels.close().awaitUninterruptibly(60, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

}
