package dev.drover.coordinator.faults;

import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.Message;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskStarted;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * A thousand (or any number of) {@link SimAgent}s in this JVM, each on a TCP connection of its own to the
 * coordinator's gateway, reconnecting as PROTOCOL.md §1 and §6.6 say (capped exponential backoff with full
 * jitter: first wait up to 0.5 s, doubling, at most 8 s, or 4 s after an attempt refused at once; longer after
 * some Reject and Bye reasons). Each reports its own synthetic tasks (TaskStarted, progress,
 * TaskFinished) every {@code ownTaskPeriodMillis}, runs the built-in queue's RunTasks for {@code runTaskMillis},
 * and sends an eviction notice when the test says so.
 */
final class SimFleet implements AutoCloseable {
    static final long INITIAL_BACKOFF_MILLIS = 500;
    static final long MAX_BACKOFF_MILLIS = 8_000;
    /** The cap after an attempt refused at once: nothing listens, the coordinator is restarting (§1). */
    static final long REFUSED_MAX_BACKOFF_MILLIS = 4_000;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final String host;
    private final int port;
    final List<SimAgent> agents = new ArrayList<>();
    private final List<EventLoop> loops = new ArrayList<>();
    private final int ownTasks;
    private final long ownTaskPeriodMillis;
    private final long runTaskMillis;
    private volatile boolean closed;

    SimFleet(String host, int port, String token, int count, IntFunction<String> poolOf, int ownTasks,
            long ownTaskPeriodMillis, long runTaskMillis) {
        this.host = host;
        this.port = port;
        this.ownTasks = ownTasks;
        this.ownTaskPeriodMillis = ownTaskPeriodMillis;
        this.runTaskMillis = runTaskMillis;
        for (int i = 0; i < count; i++) {
            agents.add(new SimAgent(i, String.format("sim-%04d", i), poolOf.apply(i), token));
            loops.add(group.next());
        }
    }

    /** Connects every agent (a few at a time, so that the test JVM does not flood its own loopback). */
    void start() throws InterruptedException {
        for (SimAgent a : agents) {
            connect(a);
            if (a.index % 50 == 49) {
                Thread.sleep(20);
            }
            long first = ownTaskPeriodMillis * a.index / Math.max(1, agents.size());
            loops.get(a.index).scheduleAtFixedRate(() -> send(a, a.nextOwnTask(ownTasks, now())),
                    first + 1000, ownTaskPeriodMillis, TimeUnit.MILLISECONDS);
            scheduleBeat(a);
        }
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    private void connect(SimAgent a) {
        if (closed) {
            return;
        }
        Bootstrap b = new Bootstrap().group(loops.get(a.index)).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE, new Handler(a));
                    }
                });
        synchronized (a) {
            a.attemptAtMillis.add(now());
        }
        ChannelFuture f = b.connect(host, port);
        f.addListener(done -> {
            if (!done.isSuccess()) {
                reconnectLater(a, done.cause() instanceof java.net.ConnectException
                        && !(done.cause() instanceof io.netty.channel.ConnectTimeoutException));
            }
        });
    }

    private void reconnectLater(SimAgent a, boolean refused) {
        long cap;
        long minimum;
        synchronized (a) {
            a.connected = false;
            a.channel = null;
            cap = Math.min(refused ? REFUSED_MAX_BACKOFF_MILLIS : MAX_BACKOFF_MILLIS,
                    INITIAL_BACKOFF_MILLIS << Math.min(a.reconnectAttempts, 16));
            a.reconnectAttempts++;
            minimum = a.minimumWaitMillis;
            a.minimumWaitMillis = 0;
        }
        long wait = Math.max(minimum, ThreadLocalRandom.current().nextLong(cap + 1));
        loops.get(a.index).schedule(() -> connect(a), wait, TimeUnit.MILLISECONDS);
    }

    private void scheduleBeat(SimAgent a) {
        loops.get(a.index).schedule(() -> {
            if (closed) {
                return;
            }
            beat(a);
            scheduleBeat(a);
        }, a.nextBeatMillis(), TimeUnit.MILLISECONDS);
    }

    /** Heartbeat and progress; Ping after max(4 intervals, 8 s) of silence, drop after twice that (PROTOCOL.md §6.5). */
    private void beat(SimAgent a) {
        Channel ch;
        boolean ping = false;
        boolean drop = false;
        long now = now();
        synchronized (a) {
            ch = a.connected ? a.channel : null;
            long silent = now - a.lastHeardMillis;
            long allowance = Math.max(4L * a.heartbeatMillis, 8000);
            if (ch != null && silent > 2 * allowance) {
                drop = true;
            } else if (ch != null && silent > allowance && !a.pingOutstanding) {
                a.pingOutstanding = true;
                ping = true;
            }
        }
        if (ch == null) {
            return;
        }
        if (drop) {
            ch.close();
            return;
        }
        a.tick(now).forEach(ch::write);
        if (ping) {
            ch.write(new dev.drover.protocol.Ping(now));
        }
        ch.flush();
    }

    /** Sends now if connected; otherwise the outbox keeps reliable messages for the next session. */
    private void send(SimAgent a, List<? extends Message> messages) {
        Channel ch;
        synchronized (a) {
            ch = a.connected ? a.channel : null;
        }
        if (ch != null && !messages.isEmpty()) {
            messages.forEach(ch::write);
            ch.flush();
        }
    }

    /** Every agent in {@code indices} learns of a Spot eviction now and sends the notice (reliable). */
    void evict(List<Integer> indices) {
        for (int i : indices) {
            SimAgent a = agents.get(i);
            loops.get(i).execute(() -> send(a, List.of(a.evict(now()))));
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<Message> {
        private final SimAgent a;

        Handler(SimAgent a) {
            this.a = a;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            synchronized (a) {
                a.channel = ctx.channel();
                a.lastHeardMillis = now();
                a.activeAtMillis.add(a.lastHeardMillis);
            }
            ctx.writeAndFlush(a.hello());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message msg) {
            List<Message> out = a.onMessage(msg, now());
            out.forEach(ctx::write);
            ctx.flush();
            for (Message m : out) {
                if (m instanceof TaskStarted s && msg instanceof RunTask run && run.task().equals(s.task())) {
                    ctx.channel().eventLoop().schedule(() -> send(a, single(a.finishRunTask(run.task(), now()))),
                            runTaskMillis, TimeUnit.MILLISECONDS);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            reconnectLater(a, false);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static List<Message> single(Message m) {
        return m == null ? List.of() : List.of(m);
    }

    long connectedCount() {
        return agents.stream().filter(a -> {
            synchronized (a) {
                return a.connected;
            }
        }).count();
    }

    @Override
    public void close() {
        closed = true;
        for (SimAgent a : agents) {
            Channel ch;
            synchronized (a) {
                ch = a.channel;
            }
            if (ch != null) {
                ch.close();
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
