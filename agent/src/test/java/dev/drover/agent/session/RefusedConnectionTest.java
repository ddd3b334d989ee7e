package dev.drover.agent.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** What counts as "refused at once" for the shorter reconnect cap (Backoff), against a real closed port. */
class RefusedConnectionTest {

    @Test
    void aClosedPortIsRefusedAtOnceOnNio() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Throwable cause = connectToClosedPort(new Bootstrap().group(group).channel(NioSocketChannel.class));
            assertThat(CoordinatorClient.refusedAtOnce(cause)).as(String.valueOf(cause)).isTrue();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aClosedPortIsRefusedAtOnceOnEpollWhenAvailable() throws Exception {
        if (!Epoll.isAvailable()) {
            // the agent then runs on NIO, which the test above covers
            assertThat(Epoll.unavailabilityCause()).isNotNull();
            return;
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Throwable cause = connectToClosedPort(new Bootstrap().group(group).channel(EpollSocketChannel.class));
            assertThat(CoordinatorClient.refusedAtOnce(cause)).as(String.valueOf(cause)).isTrue();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aTimeoutIsNotARefusal() {
        assertThat(CoordinatorClient.refusedAtOnce(new ConnectTimeoutException("connection timed out"))).isFalse();
        assertThat(CoordinatorClient.refusedAtOnce(new java.io.IOException("reset"))).isFalse();
    }

    private static Throwable connectToClosedPort(Bootstrap bootstrap) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ChannelFuture f = bootstrap.handler(new ChannelInboundHandlerAdapter())
                .connect(InetAddress.getLoopbackAddress(), port).await();
        assertThat(f.isSuccess()).as("nothing listens on " + port).isFalse();
        return f.cause();
    }
}
