package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.Coordinator;
import dev.drover.coordinator.TestTls;
import dev.drover.coordinator.config.CoordinatorConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slow-byte, pre-Hello flood without any token: 2,000 connections at once from 20 loopback addresses, each
 * trickling a TLS ClientHello one byte every half second and reconnecting as soon as the gateway drops it.
 * A real agent (TLS, Hello, Welcome) from another address must still enrol promptly. The figure is printed
 * and written to target/it-artifacts/pre-hello-flood.json for BENCHMARKS.md; the assertion is generous
 * because the machine is shared.
 */
class PreHelloFloodIT {
    private static final int FLOOD_CONNECTIONS = 2_000;
    private static final int FLOOD_ADDRESSES = 20;
    private static final int MAX_CONNECTS = 40_000; // bounds the flood's total work
    private static final long FLOOD_MILLIS = 16_000;
    private static final int HELLO_TIMEOUT_MILLIS = 10_000;

    @TempDir
    Path dir;

    /** One flood socket: when it was opened, and whether the gateway closed it. */
    private record Slot(SocketChannel channel, long openedNanos) {
    }

    @Test
    void floodOfTwoThousandSlowConnectionsDoesNotDelayARealAgent() throws Exception {
        CoordinatorConfig config = new CoordinatorConfig(
                new CoordinatorConfig.Gateway("127.0.0.1", 0, null, HELLO_TIMEOUT_MILLIS, null, null, TestTls.tls(dir),
                        null),
                new CoordinatorConfig.Http("127.0.0.1", 0), null,
                new CoordinatorConfig.Enrolment(List.of(GatewayAdmissionIT.TOKEN), null));
        Coordinator coordinator = new Coordinator(config, Clock.systemUTC()).start().await();
        int port = coordinator.gatewayPort();
        Path ca = TestTls.caFile(dir);
        List<Slot> slots = new ArrayList<>();
        try {
            List<Long> baseline = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                baseline.add(enrolMillis(ca, port, "baseline-" + i));
            }

            long floodStart = System.nanoTime();
            int connects = 0;
            for (int i = 0; i < FLOOD_CONNECTIONS; i++) {
                slots.add(open(port, i));
                connects++;
            }
            List<Long> underFlood = new ArrayList<>();
            long oldestOpenAtEndMillis = 0;
            int closedByGateway = 0;
            long nextProbe = System.nanoTime() + 3_000_000_000L;
            byte[] clientHello = {0x16, 0x03, 0x01, 0x02, 0x00};
            int tick = 0;
            while (System.nanoTime() - floodStart < FLOOD_MILLIS * 1_000_000L) {
                for (int i = 0; i < slots.size(); i++) {
                    Slot slot = slots.get(i);
                    boolean closed;
                    try {
                        ByteBuffer in = ByteBuffer.allocate(256);
                        closed = slot.channel().read(in) < 0;
                        if (!closed) {
                            slot.channel().write(ByteBuffer.wrap(new byte[] {tick < clientHello.length
                                    ? clientHello[tick] : (byte) 0x42}));
                        }
                    } catch (IOException e) {
                        closed = true;
                    }
                    if (closed) {
                        closedByGateway++;
                        slot.channel().close();
                        slots.set(i, connects < MAX_CONNECTS ? open(port, i) : slot);
                        connects++;
                    }
                }
                tick++;
                if (System.nanoTime() >= nextProbe && underFlood.size() < 5) {
                    underFlood.add(enrolMillis(ca, port, "flooded-" + underFlood.size()));
                    nextProbe = System.nanoTime() + 1_500_000_000L;
                }
                Thread.sleep(500);
            }
            long now = System.nanoTime();
            for (Slot s : slots) {
                if (s.channel().isOpen()) {
                    oldestOpenAtEndMillis = Math.max(oldestOpenAtEndMillis, (now - s.openedNanos()) / 1_000_000);
                }
            }

            long baselineMax = Collections.max(baseline);
            long floodMax = Collections.max(underFlood);
            String figures = "{\"floodConnections\": %d, \"connectsMade\": %d, \"closedByGateway\": %d, "
                    + "\"baselineEnrolMillis\": %s, \"underFloodEnrolMillis\": %s, \"oldestFloodConnectionMillis\": %d}";
            String json = figures.formatted(FLOOD_CONNECTIONS, Math.min(connects, MAX_CONNECTS), closedByGateway,
                    baseline, underFlood, oldestOpenAtEndMillis);
            System.out.println("pre-Hello flood: " + json);
            Path artifacts = Path.of("target", "it-artifacts");
            Files.createDirectories(artifacts);
            Files.writeString(artifacts.resolve("pre-hello-flood.json"), json + "\n");

            assertThat(underFlood).hasSizeGreaterThanOrEqualTo(3);
            assertThat(floodMax).as("a real agent's enrolment under the flood (ms); baseline max %d", baselineMax)
                    .isLessThan(10_000);
            assertThat(closedByGateway).as("flood connections the gateway dropped").isGreaterThan(FLOOD_CONNECTIONS);
            // slow bytes buy nothing: nothing the flood holds is older than the Hello deadline plus slack
            assertThat(oldestOpenAtEndMillis).isLessThan(HELLO_TIMEOUT_MILLIS + 4_000);
        } finally {
            for (Slot s : slots) {
                s.channel().close();
            }
            coordinator.stop().await();
        }
    }

    private static Slot open(int port, int i) throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.bind(new InetSocketAddress("127.0.0." + (10 + i % FLOOD_ADDRESSES), 0));
        ch.connect(new InetSocketAddress("127.0.0.1", port));
        ch.configureBlocking(false);
        return new Slot(ch, System.nanoTime());
    }

    /** Connect, TLS handshake, Hello, Welcome: milliseconds, as an agent on its own address would see them. */
    private static long enrolMillis(Path ca, int port, String nodeId) throws Exception {
        long start = System.nanoTime();
        try (TlsClient ignored = GatewayAdmissionIT.enrol(ca, "127.0.0.1", port, nodeId)) {
            return (System.nanoTime() - start) / 1_000_000;
        }
    }
}
