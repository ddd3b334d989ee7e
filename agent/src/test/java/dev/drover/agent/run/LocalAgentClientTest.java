package dev.drover.agent.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drover.agent.local.LocalMessages;
import dev.drover.agent.run.progress.Progress;
import dev.drover.protocol.TaskRef;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wrapper's link to the agent: lossy and rate-limited for progress, and no wait when no agent listens. */
class LocalAgentClientTest {
    private static final TaskRef TASK = new TaskRef(7, 3, 1);

    @TempDir
    Path dir;

    @Test
    void aFloodOfProgressReachesTheAgentAtMostTwiceASecondAndTheLatestValueWins() throws Exception {
        Path socket = dir.resolve("agent.sock");
        List<JsonNode> received = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread reader = new Thread(() -> {
                try (SocketChannel ch = server.accept(); BufferedReader in = new BufferedReader(
                        new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        received.add(LocalMessages.parse(line));
                    }
                } catch (Exception e) {
                    // closed at the end of the test
                }
            });
            reader.setDaemon(true);
            reader.start();

            LocalAgentClient client = new LocalAgentClient(socket, text -> { });
            client.send(LocalMessages.started(TASK, 42, System.currentTimeMillis(), null));
            long start = System.nanoTime();
            int updates = 0;
            // a render printing progress as fast as it can, for two seconds
            while (System.nanoTime() - start < Duration.ofSeconds(2).toNanos()) {
                client.progress(TASK, new Progress((updates % 10_000) / 100f, 1, -1));
                updates++;
            }
            client.progress(TASK, new Progress(99.5f, 1, -1));
            double seconds = (System.nanoTime() - start) / 1e9;
            await().atMost(Duration.ofSeconds(60)).until(() -> received.stream()
                    .anyMatch(n -> n.path("percent").asDouble() == 99.5));
            double elapsed = (System.nanoTime() - start) / 1e9;
            client.send(LocalMessages.finished(TASK, 0, 0, 1, 1, System.currentTimeMillis(), null));
            assertThat(client.closeAndDrain(60_000)).isTrue();
            // written and closed by the client; the reader thread may still be reading the last lines
            await().atMost(Duration.ofSeconds(60)).until(() -> received.stream()
                    .anyMatch(n -> "finished".equals(n.path("type").asText())));

            List<JsonNode> progress = received.stream().filter(n -> "progress".equals(n.path("type").asText())).toList();
            assertThat(updates).isGreaterThan(10_000);
            assertThat(progress.size()).as("%d updates in %.1f s", updates, seconds)
                    .isLessThanOrEqualTo((int) Math.ceil(elapsed * LocalAgentClient.PROGRESS_PER_SECOND) + 1);
            assertThat(received.get(0).path("type").asText()).isEqualTo("started");
            assertThat(received.get(received.size() - 1).path("type").asText()).isEqualTo("finished");
        }
    }

    @Test
    void withNoAgentListeningTheEndDoesNotWait() throws Exception {
        LocalAgentClient client = new LocalAgentClient(dir.resolve("nobody.sock"), text -> { });
        client.send(LocalMessages.started(TASK, 42, System.currentTimeMillis(), null));
        client.send(LocalMessages.finished(TASK, 0, 0, 1, 1, System.currentTimeMillis(), null));

        long start = System.nanoTime();
        boolean delivered = client.closeAndDrain(120_000);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(delivered).isFalse();
        // had it waited for the deadline it would take two minutes; one immediate last try is all it makes
        assertThat(took).isLessThan(Duration.ofSeconds(30));
    }
}
