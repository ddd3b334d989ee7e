package dev.drover.agent.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's local socket: messages in, notices out, and one bad wrapper never hurts another. */
class LocalTaskServerIT {
    @TempDir
    Path dir;

    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private LocalTaskServer server;

    @BeforeEach
    void start() throws Exception {
        server = new LocalTaskServer(dir.resolve("run/agent.sock"), received::add);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private SocketChannel connect() throws Exception {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(dir.resolve("run/agent.sock")));
        return ch;
    }

    private static void send(SocketChannel ch, String text) throws Exception {
        ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void garbageClosesOnlyThatConnectionAndNoticesReachTheOthers() throws Exception {
        try (SocketChannel good = connect(); SocketChannel bad = connect()) {
            send(bad, "this is not json\n");
            send(good, LocalMessages.started(new dev.drover.protocol.TaskRef(1, 2, 3), 42, 0, null) + "\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 1);
            assertThat(received.get(0).path("pid").asLong()).isEqualTo(42);
            assertThat(bad.read(ByteBuffer.allocate(16))).as("bad connection closed").isEqualTo(-1);

            server.notice("drover: evicted, Tractor will retry");

            BufferedReader in = new BufferedReader(new InputStreamReader(ChannelIo.in(good), StandardCharsets.UTF_8));
            assertThat(LocalMessages.parse(in.readLine()).path("text").asText()).contains("Tractor will retry");
        }
    }

    @Test
    void aWrapperConnectingAfterANoticeStillGetsIt() throws Exception {
        server.notice("drover: draining");
        try (SocketChannel late = connect()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(ChannelIo.in(late), StandardCharsets.UTF_8));
            assertThat(LocalMessages.parse(in.readLine()).path("type").asText()).isEqualTo("notice");
        }
    }

    @Test
    void overlongLineIsRefused() throws Exception {
        try (SocketChannel ch = connect()) {
            send(ch, "{\"type\":\"" + "x".repeat(LocalMessages.MAX_LINE + 10) + "\"}\n");
            assertThat(ch.read(ByteBuffer.allocate(16))).isEqualTo(-1);
            assertThat(received).isEmpty();
        }
    }
}
