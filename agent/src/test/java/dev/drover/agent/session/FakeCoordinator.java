package dev.drover.agent.session;

import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.Message;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A coordinator stand-in for agent tests: accepts connections with the real frame codec, hands every
 * message to the test, and lets the test answer or hang up. Heartbeats are kept apart so tests can wait
 * for other messages without wading through them.
 */
final class FakeCoordinator implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final BlockingQueue<Message> received = new LinkedBlockingQueue<>();
    final BlockingQueue<Message> heartbeats = new LinkedBlockingQueue<>();
    private volatile Channel current;
    private Channel server;

    /** Handshakes that failed (a rogue's view: the agent walked away) and plaintext bytes that still arrived. */
    final java.util.concurrent.atomic.AtomicInteger failedHandshakes = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicLong bytesReceived = new java.util.concurrent.atomic.AtomicLong();

    /** A plaintext stand-in (agents must then be configured with insecurePlaintext). */
    FakeCoordinator(int port) throws InterruptedException {
        this(port, null);
    }

    /** @param tls the certificate the stand-in presents (the real CA's, or a rogue one), or null for plaintext */
    FakeCoordinator(int port, io.netty.handler.ssl.SslContext tls) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        current = ch;
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()), new io.netty.channel.ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent e && !e.isSuccess()) {
                                        failedHandshakes.incrementAndGet();
                                    }
                                    ctx.fireUserEventTriggered(evt);
                                }

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    bytesReceived.addAndGet(((io.netty.buffer.ByteBuf) msg).readableBytes());
                                    ctx.fireChannelRead(msg);
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    ctx.close();
                                }
                            });
                        }
                        ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE,
                                new SimpleChannelInboundHandler<Message>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Message m) {
                                        (m.type() == dev.drover.protocol.MessageType.HEARTBEAT ? heartbeats : received)
                                                .add(m);
                                    }
                                });
                    }
                }).bind("127.0.0.1", port).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    <T extends Message> T next(Class<T> type) throws InterruptedException {
        Message m = received.poll(10, TimeUnit.SECONDS);
        if (m == null) {
            throw new AssertionError("no message within 10 s; expected " + type.getSimpleName());
        }
        if (!type.isInstance(m)) {
            throw new AssertionError("expected " + type.getSimpleName() + " but got " + m);
        }
        return type.cast(m);
    }

    void send(Message m) throws InterruptedException {
        current.writeAndFlush(m).sync();
    }

    /** Drops the current agent connection, as a network failure would. */
    void hangUp() throws InterruptedException {
        current.close().sync();
    }

    @Override
    public void close() throws InterruptedException {
        server.close().sync();
        if (current != null) {
            current.close().sync();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
