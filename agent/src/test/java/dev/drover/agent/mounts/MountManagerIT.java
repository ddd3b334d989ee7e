package dev.drover.agent.mounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.agent.config.MountConfig;
import dev.drover.protocol.MountHealth;
import dev.drover.protocol.MountState;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mount manager with the bind backend (these machines have no kernel NFS client): real mount(8), real
 * probes, and a probe that hangs the way one on a dead NFS server does (reading a FIFO nobody writes).
 * Needs root, as mounting does.
 */
class MountManagerIT {
    @TempDir
    Path dir;

    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private MountManager manager;
    private Path mountPoint;

    @BeforeEach
    void requireRoot() {
        assertThat(System.getProperty("user.name")).as("mounting needs root; run the tests as root").isEqualTo("root");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (manager != null) {
            manager.close();
        }
        if (mountPoint != null && MountTable.isMounted(mountPoint.toString())) {
            new CommandRunner().run(List.of("umount", "-l", mountPoint.toString()), 10_000);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private MountHealth only() {
        return manager.health().get(0);
    }

    private void start(String probeFile, int intervalMillis, int timeoutMillis) throws Exception {
        Path export = Files.createDirectories(dir.resolve("export"));
        Files.writeString(export.resolve("probe.txt"), "ok");
        mountPoint = dir.resolve("mnt/cache");
        MountConfig config = new MountConfig("cache", List.of(), export.toString(), mountPoint.toString(), null, null,
                "bind", probeFile, intervalMillis, timeoutMillis);
        manager = new MountManager(List.of(config), "node-1", new RpcNullProbe(group, NioSocketChannel.class),
                new LocalMounter(new CommandRunner()), () -> false);
        manager.start();
    }

    @Test
    void mountsAndReportsHealthy() throws Exception {
        start("probe.txt", 300, 200);

        await().atMost(Duration.ofSeconds(30)).until(() -> only().state() == MountState.OK);
        assertThat(MountTable.isMounted(mountPoint.toString())).isTrue();
        assertThat(Files.readString(mountPoint.resolve("probe.txt"))).isEqualTo("ok");
    }

    @Test
    void mountRemovedBehindItsBackIsMountedAgainWhenNoTaskRuns() throws Exception {
        start("probe.txt", 300, 200);
        await().atMost(Duration.ofSeconds(30)).until(() -> only().state() == MountState.OK);

        new CommandRunner().run(List.of("umount", mountPoint.toString()), 10_000);

        await().atMost(Duration.ofSeconds(30)).until(() -> MountTable.isMounted(mountPoint.toString())
                && only().state() == MountState.OK);
        assertThat(Files.readString(mountPoint.resolve("probe.txt"))).isEqualTo("ok");
    }

    @Test
    void neverRemountsUnderARunningTask() throws Exception {
        Path export = Files.createDirectories(dir.resolve("export"));
        Files.writeString(export.resolve("probe.txt"), "ok");
        mountPoint = dir.resolve("mnt/busy");
        MountConfig config = new MountConfig("busy", List.of(), export.toString(), mountPoint.toString(), null, null,
                "bind", "probe.txt", 300, 200);
        manager = new MountManager(List.of(config), "node-1", new RpcNullProbe(group, NioSocketChannel.class),
                new LocalMounter(new CommandRunner()), () -> true);
        manager.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> only().state() == MountState.OK);

        new CommandRunner().run(List.of("umount", mountPoint.toString()), 10_000);

        await().atMost(Duration.ofSeconds(30)).until(() -> only().state() == MountState.NOT_MOUNTED);
        Thread.sleep(1000);
        assertThat(only().state()).isEqualTo(MountState.NOT_MOUNTED);
        assertThat(MountTable.isMounted(mountPoint.toString())).isFalse();
    }

    @Test
    void probeThatHangsIsReportedUnreachableAndNeverPilesUpThreads() throws Exception {
        Path export = Files.createDirectories(dir.resolve("export"));
        new CommandRunner().run(List.of("mkfifo", export.resolve("hang").toString()), 5000);
        start("hang", 300, 200);

        await().atMost(Duration.ofSeconds(30)).until(() -> only().state() == MountState.UNREACHABLE);
        assertThat(only().detail()).isEqualTo("no answer within 200 ms");
        await().atMost(Duration.ofSeconds(30)).until(() -> only().detail().startsWith("probe hung for"));
        long probeThreads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("drover-probe-cache")).count();
        assertThat(probeThreads).isEqualTo(1);
    }

    @Test
    void missingExportIsReportedNotMounted() throws Exception {
        mountPoint = dir.resolve("mnt/none");
        MountConfig config = new MountConfig("none", List.of(), dir.resolve("no-such-export").toString(),
                mountPoint.toString(), null, null, "bind", null, 500, 200);
        manager = new MountManager(List.of(config), "node-1", new RpcNullProbe(group, NioSocketChannel.class),
                new LocalMounter(new CommandRunner()), () -> false);
        manager.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> only().state() == MountState.NOT_MOUNTED
                && only().detail().startsWith("mount failed"));
    }
}
