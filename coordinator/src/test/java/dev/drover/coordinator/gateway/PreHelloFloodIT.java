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
    private static final long FLOOD_MILLIS = 24_000;
    private static final int HELLO_TIMEOUT_MILLIS = 10_000;

    @TempDir
    Path dir;

    /** One flood socket and when its connection was established (0 while the connect is pending). */
    private static final class Slot {
        final SocketChannel channel;
        long connectedNanos;

        Slot(SocketChannel channel) {
            this.channel = channel;
        }

        SocketChannel channel() {
            return channel;
        }
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
            for (int i = 0; i < 5; i++) {
                baseline.add(enrolMillis(ca, port, "baseline-" + i)); // the first ones also warm the JIT up
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
                        if (slot.connectedNanos == 0) {
                            if (!slot.channel().finishConnect()) {
                                continue; // still connecting (the accept queue is full): nothing to send yet
                            }
                            slot.connectedNanos = System.nanoTime();
                        }
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
                if (System.nanoTime() >= nextProbe && underFlood.size() < 8) {
                    underFlood.add(enrolMillis(ca, port, "flooded-" + underFlood.size()));
                    nextProbe = System.nanoTime() + 1_500_000_000L;
                }
                Thread.sleep(500);
            }
            long now = System.nanoTime();
            for (Slot s : slots) {
                if (s.channel().isOpen() && s.connectedNanos > 0) {
                    oldestOpenAtEndMillis = Math.max(oldestOpenAtEndMillis, (now - s.connectedNanos) / 1_000_000);
                }
            }

            long baselineMax = Collections.max(baseline);
            long floodMax = Collections.max(underFlood);
            List<Long> warm = new ArrayList<>(baseline.subList(2, baseline.size()));
            Collections.sort(warm);
            String figures = "{\"floodConnections\": %d, \"connectsMade\": %d, \"closedByGateway\": %d, "
                    + "\"baselineEnrolMillis\": %s, \"underFloodEnrolMillis\": %s, \"underFloodMaxMillis\": %d, "
                    + "\"warmBaselineMedianMillis\": %d, \"oldestFloodConnectionMillis\": %d}";
            String json = figures.formatted(FLOOD_CONNECTIONS, Math.min(connects, MAX_CONNECTS), closedByGateway,
                    baseline, underFlood, floodMax, warm.get(warm.size() / 2), oldestOpenAtEndMillis);
            System.out.println("pre-Hello flood: " + json);
            Path artifacts = Path.of("target", "it-artifacts");
            Files.createDirectories(artifacts);
            Files.writeString(artifacts.resolve("pre-hello-flood.json"), json + "\n");

            assertThat(underFlood).hasSizeGreaterThanOrEqualTo(3);
            assertThat(floodMax).as("a real agent's enrolment under the flood (ms); baseline max %d", baselineMax)
                    .isLessThan(10_000);
            assertThat(closedByGateway).as("flood connections the gateway dropped").isGreaterThan(FLOOD_CONNECTIONS);
            // slow bytes buy nothing: no flood connection outlives the Hello deadline (plus slack for a loaded
            // machine and for our own half-second polling)
            assertThat(oldestOpenAtEndMillis).isLessThan(HELLO_TIMEOUT_MILLIS + 8_000);
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
        ch.configureBlocking(false); // a full accept queue must not stall the flood loop
        ch.connect(new InetSocketAddress("127.0.0.1", port));
        return new Slot(ch);
    }

    /** Connect, TLS handshake, Hello, Welcome: milliseconds, as an agent on its own address would see them. */
    private static long enrolMillis(Path ca, int port, String nodeId) throws Exception {
        long start = System.nanoTime();
        try (TlsClient ignored = GatewayAdmissionIT.enrol(ca, "127.0.0.1", port, nodeId)) {
            return (System.nanoTime() - start) / 1_000_000;
        }
    }
}
