package dev.drover.coordinator;

import dev.drover.protocol.AgentState;
import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import dev.drover.protocol.Welcome;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Many simulated agents on one event loop for load tests of the coordinator and the dashboard: each says
 * Hello with the enrolment token, then every second a heartbeat (one task running) and rising progress on
 * that task, on a real TCP connection to the gateway.
 */
final class SimulatedFleet implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<Channel> channels = new ArrayList<>();

    SimulatedFleet(int port, String token, String pool, int nodes) throws InterruptedException {
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class);
        for (int i = 0; i < nodes; i++) {
            String id = String.format("sim-%04d", i);
            int offset = i % 100;
            b.handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE, new Agent(id, pool, token, offset));
                }
            });
            channels.add(b.connect("127.0.0.1", port).sync().channel());
        }
    }

    /** One simulated agent: enrols, then reports a task at a steadily rising percentage. */
    private static final class Agent extends SimpleChannelInboundHandler<Object> {
        private final String id;
        private final String pool;
        private final String token;
        private final TaskRef task;
        private float percent;

        Agent(String id, String pool, String token, int offset) {
            this.id = id;
            this.pool = pool;
            this.token = token;
            this.task = new TaskRef(1, 1 + Integer.parseInt(id.substring(4)), 1);
            this.percent = offset % 50;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(new Hello(1, 1, "sim", NodeIdentity.local(id, pool), 1, 0, token, "", 0));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Welcome) {
                long now = System.currentTimeMillis();
                ctx.writeAndFlush(new TaskStarted(1, task, now, 1000));
                ctx.executor().scheduleAtFixedRate(() -> tick(ctx), 0, 1, TimeUnit.SECONDS);
            }
        }

        private void tick(ChannelHandlerContext ctx) {
            if (!ctx.channel().isActive()) {
                return;
            }
            long now = System.currentTimeMillis();
            percent = percent >= 99 ? 1 : percent + 1;
            ctx.write(new Heartbeat(now, AgentState.BUSY, 1, HostMetrics.UNKNOWN, List.of(), false, 0));
            ctx.writeAndFlush(new TaskProgress(task, percent, 1, 60, now));
        }
    }

    @Override
    public void close() {
        channels.forEach(Channel::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
