package dev.drover.agent.mounts;

import dev.drover.agent.config.MountConfig;
import dev.drover.protocol.MountState;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.List;

/**
 * The agent's mount step on its own, for {@code dev.drover.agent.images.AgentUnitMountIT} to run inside a mount namespace shaped
 * like the agent unit's: mounts EXPORT at MOUNT_POINT with the bind backend through the real MountManager,
 * waits (up to 60 s) for its health probe to say OK, prints the final state and exits.
 * Usage: MountStepMain EXPORT MOUNT_POINT
 */
public final class MountStepMain {
    private MountStepMain() {
    }

    public static void main(String[] args) throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        MountConfig config = new MountConfig("cache", List.of(), args[0], args[1], null, null, "bind", "probe.txt",
                2000, 2000);
        try (MountManager manager = new MountManager(List.of(config), "node-1",
                new RpcNullProbe(group, NioSocketChannel.class), new LocalMounter(new CommandRunner()), () -> false)) {
            manager.start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (manager.health().get(0).state() != MountState.OK && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            System.out.println("state=" + manager.health().get(0).state() + " seenInside="
                    + MountTable.isMounted(args[1]));
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }
}
