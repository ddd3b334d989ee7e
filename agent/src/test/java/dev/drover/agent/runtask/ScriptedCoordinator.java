package dev.drover.agent.runtask;

import dev.drover.protocol.Ack;
import dev.drover.protocol.Bye;
import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.Welcome;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;

/**
 * A coordinator for agent-process tests: welcomes every Hello with a new session (as a real coordinator does
 * for a restarted agent), records every message with the connection it came on, acknowledges the agent's
 * reliable events only when told to, and numbers its own commands per session. Strict: a reliable message
 * whose sequence does not rise within a connection, or anything before Hello, fails the test.
 */
final class ScriptedCoordinator implements AutoCloseable {
    /** One message as received, with the number of the connection (1, 2, ...) it arrived on. */
    record Received(int connection, Message message) {
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final List<Received> received = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile boolean acking = true;
    private volatile Channel current;
    private long commandSeq;
    private final Channel server;

    ScriptedCoordinator() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        int number = connections.incrementAndGet();
                        ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE, new Session(number));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    private final class Session extends SimpleChannelInboundHandler<Message> {
        private final int number;
        private boolean welcomed;
        private long highestSeq;

        Session(int number) {
            this.number = number;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message m) {
            received.add(new Received(number, m));
            if (m instanceof Hello) {
                welcomed = true;
                synchronized (ScriptedCoordinator.this) {
                    commandSeq = 0;
                    current = ctx.channel();
                }
                ctx.writeAndFlush(new Welcome(1, "session-" + number, "node", false, 0, 500, 0, 65536,
                        System.currentTimeMillis()));
                return;
            }
            if (!welcomed) {
                violations.add("message before Hello on connection " + number + ": " + m);
                ctx.close();
                return;
            }
            if (m instanceof dev.drover.protocol.Ping p) {
                ctx.writeAndFlush(new dev.drover.protocol.Pong(p.nonce()));
            }
            if (m instanceof Reliable r) {
                if (r.seq() <= highestSeq) {
                    violations.add("seq " + r.seq() + " not above " + highestSeq + " on connection " + number);
                }
                highestSeq = Math.max(highestSeq, r.seq());
                if (acking) {
                    ctx.writeAndFlush(new Ack(r.seq()));
                }
            }
        }
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    void acking(boolean on) {
        this.acking = on;
    }

    int connections() {
        return connections.get();
    }

    /** Sends a command numbered in the current session. */
    synchronized void send(LongFunction<Reliable> command) throws InterruptedException {
        commandSeq++;
        current.writeAndFlush(command.apply(commandSeq)).sync();
    }

    List<Reliable> reliable() {
        return received.stream().filter(r -> r.message() instanceof Reliable).map(r -> (Reliable) r.message())
                .toList();
    }

    List<Reliable> reliableOn(int connection) {
        return received.stream().filter(r -> r.connection() == connection && r.message() instanceof Reliable)
                .map(r -> (Reliable) r.message()).toList();
    }

    List<TaskFinished> finishes(TaskRef task) {
        return reliable().stream().filter(r -> r instanceof TaskFinished f && f.task().equals(task))
                .map(r -> (TaskFinished) r).toList();
    }

    boolean byeOn(int connection) {
        return received.stream().anyMatch(r -> r.connection() == connection && r.message() instanceof Bye);
    }

    @Override
    public void close() throws InterruptedException {
        server.close().sync();
        Channel c = current;
        if (c != null) {
            c.close().sync();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
