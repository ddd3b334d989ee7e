package dev.drover.agent.mounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ONC RPC NULL probe against a real nfs-ganesha server, a server that never answers, and nothing at all. */
class RpcNullProbeIT {
    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private static final RpcNullProbe PROBE = new RpcNullProbe(GROUP, NioSocketChannel.class);

    @TempDir
    static Path dir;
    static GaneshaServer ganesha;
    static int port;

    @BeforeAll
    static void startGanesha() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path export = Files.createDirectories(dir.resolve("export"));
        Files.writeString(export.resolve("frame_0001.txt"), "pixels");
        ganesha = GaneshaServer.start(Files.createDirectories(dir.resolve("ganesha")), export, port);
    }

    @AfterAll
    static void stop() throws Exception {
        if (ganesha != null) {
            ganesha.close();
        }
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void realNfsServerAnswersTheNullCall() {
        RpcNullProbe.Result r = PROBE.probe("127.0.0.1", port, 4, 3000).join();

        assertThat(r.ok()).as(r.detail()).isTrue();
        assertThat(r.millis()).isLessThan(3000);
    }

    @Test
    void versionTheServerDoesNotServeIsReportedWithWhatItOffers() {
        RpcNullProbe.Result r = PROBE.probe("127.0.0.1", port, 3, 3000).join();

        assertThat(r.ok()).isFalse();
        assertThat(r.detail()).isEqualTo("NFS v3 not served (server offers 4..4)");
    }

    @Test
    void serverThatAcceptsButNeverAnswersTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (Socket s = silent.accept()) {
                    Thread.sleep(10_000);
                } catch (Exception ignored) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            long start = System.nanoTime();

            RpcNullProbe.Result r = PROBE.probe("127.0.0.1", silent.getLocalPort(), 3, 500).join();

            assertThat(r.ok()).isFalse();
            assertThat(r.detail()).isEqualTo("no answer within 500 ms");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2000);
        }
    }

    @Test
    void nothingListeningIsReported() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        RpcNullProbe.Result r = PROBE.probe("127.0.0.1", closed, 3, 1000).join();

        assertThat(r.ok()).isFalse();
        assertThat(r.detail()).startsWith("cannot connect");
    }
}
