package dev.drover.coordinator.bench;

import dev.drover.protocol.FrameDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The ingest benchmark's baseline, run as a process of its own: a Netty server (epoll, two event loops, as the
 * coordinator's gateway) that decodes every frame with the protocol's own {@link FrameDecoder} and drops the
 * message. What is left of the coordinator's CPU above this is Drover's work per message.
 * Usage: {@code BareFrameReader <port-file>}: listens on a free loopback port and writes it to the file.
 */
public final class BareFrameReader {
    private BareFrameReader() {
    }

    public static void main(String[] args) throws Exception {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Channel server = new ServerBootstrap().group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        int port = ((java.net.InetSocketAddress) server.localAddress()).getPort();
        Path file = Path.of(args[0]);
        Files.writeString(file.resolveSibling(file.getFileName() + ".tmp"), String.valueOf(port));
        Files.move(file.resolveSibling(file.getFileName() + ".tmp"), file);
        server.closeFuture().sync();
    }
}
