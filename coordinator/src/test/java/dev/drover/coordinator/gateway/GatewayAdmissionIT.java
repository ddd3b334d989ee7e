package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.Coordinator;
import dev.drover.coordinator.TestTls;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.Welcome;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway over TLS, against clients that never vouch for themselves: plaintext speakers, slow senders,
 * many connections from one address, oversized pre-Hello data. None of them hurts an enrolled agent.
 */
class GatewayAdmissionIT {
    static final String TOKEN = "gateway-admission-token-0123456789";

    @TempDir
    Path dir;

    private Coordinator coordinator;

    @AfterEach
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.stop().await();
        }
    }

    private int start(int helloTimeoutMillis, int maxPendingPerAddress) throws Exception {
        CoordinatorConfig config = new CoordinatorConfig(
                new CoordinatorConfig.Gateway("127.0.0.1", 0, null, helloTimeoutMillis, null, null, TestTls.tls(dir),
                        maxPendingPerAddress),
                new CoordinatorConfig.Http("127.0.0.1", 0), null, new CoordinatorConfig.Enrolment(List.of(TOKEN), null));
        coordinator = new Coordinator(config, Clock.systemUTC()).start().await();
        return coordinator.gatewayPort();
    }

    static Hello hello(String nodeId) {
        return new Hello(1, 1, "test", NodeIdentity.local(nodeId, "p"), 1, 0, TOKEN, "", 0);
    }

    /** Connects from {@code from} over TLS, sends Hello, and returns once welcomed. */
    static TlsClient enrol(Path caFile, String from, int port, String nodeId) throws Exception {
        TlsClient client = new TlsClient(caFile, from, port);
        client.send(hello(nodeId));
        Message reply = client.receive();
        assertThat(reply).as("reply to " + nodeId + "'s Hello").isInstanceOf(Welcome.class);
        return client;
    }

    @Test
    void enrolsOverTlsWithTheCaItCreatedOnFirstRun() throws Exception {
        int port = start(10_000, 64);
        try (TlsClient agent = enrol(TestTls.caFile(dir), "127.0.0.1", port, "tls-node")) {
            agent.send(new Ping(42));
            assertThat(agent.receive()).isEqualTo(new Pong(42));
        }
        assertThat(coordinator.registry().find("tls-node")).isPresent();
    }

    @Test
    void plaintextClientIsDroppedAndAnEnrolledAgentCarriesOn() throws Exception {
        int port = start(10_000, 64);
        try (TlsClient agent = enrol(TestTls.caFile(dir), "127.0.0.1", port, "steady-node");
                Socket plain = new Socket("127.0.0.1", port)) {
            plain.setSoTimeout(10_000);
            OutputStream out = plain.getOutputStream();
            out.write(TlsClient.frame(hello("plaintext-node"))); // the token in clear, to a TLS port
            out.flush();
            InputStream in = plain.getInputStream();
            byte[] buf = new byte[1024];
            int n;
            int total = 0;
            try {
                while ((n = in.read(buf)) >= 0) {
                    total += n;
                }
            } catch (java.net.SocketException reset) {
                // closed by the server
            }
            assertThat(total).as("bytes a plaintext client gets back").isLessThan(100); // at most a TLS alert
            assertThat(coordinator.registry().find("plaintext-node")).isEmpty();

            agent.send(new Ping(7));
            assertThat(agent.receive()).isEqualTo(new Pong(7));
        }
    }

    @Test
    void helloDeadlineCountsFromAcceptNotFromTheLastByte() throws Exception {
        int port = start(1_000, 64);
        try (Socket slow = new Socket("127.0.0.1", port)) {
            OutputStream out = slow.getOutputStream();
            byte[] clientHelloStart = {0x16, 0x03, 0x01, 0x02, 0x00};
            long started = System.nanoTime();
            boolean closed = false;
            // one byte every 100 ms: an idle timer would never fire, the deadline does
            for (int i = 0; i < 100 && !closed; i++) {
                try {
                    out.write(i < clientHelloStart.length ? clientHelloStart[i] : 0x01);
                    out.flush();
                    slow.setSoTimeout(100);
                    closed = slow.getInputStream().read() < 0;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // keep trickling
                } catch (java.io.IOException reset) {
                    closed = true;
                }
            }
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat(closed).as("closed while still trickling bytes").isTrue();
            assertThat(millis).as("closed after (ms)").isLessThan(8_000);
        }
    }

    @Test
    void afterTlsABigPreHelloBodyIsRefused() throws Exception {
        int port = start(10_000, 64);
        try (TlsClient client = new TlsClient(TestTls.caFile(dir), "127.0.0.1", port)) {
            byte[] frameStart = new byte[20 * 1024];
            frameStart[0] = 0;
            frameStart[1] = 0;
            frameStart[2] = (byte) 0xEA; // announces a 60,000-byte frame: allowed after Hello, not before
            frameStart[3] = 0x60;
            try {
                client.sendRaw(frameStart);
            } catch (java.io.IOException alreadyClosed) {
                // fine: the server hung up while we wrote
            }
            assertThat(client.closedByServer(10_000)).isTrue();
        }
    }

    /** The sockets the server has closed: polled until one is, then each of the rest checked once more. */
    private static List<Socket> closedByServer(List<Socket> sockets, Duration within) throws Exception {
        List<Socket> closed = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + within.toNanos();
        for (int pass = 0; pass < 2 || (closed.isEmpty() && System.nanoTime() < deadline); pass++) {
            for (Socket s : sockets) {
                if (closed.contains(s)) {
                    continue;
                }
                s.setSoTimeout(pass == 0 ? 50 : 300);
                try {
                    if (s.getInputStream().read() == -1) {
                        closed.add(s);
                    }
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // held open, as it should be unless it is the one over the limit
                } catch (java.io.IOException reset) {
                    closed.add(s);
                }
            }
        }
        return closed;
    }

    @Test
    void oneAddressCannotHoldMoreThanItsPendingSlots() throws Exception {
        int port = start(10_000, 8);
        List<Socket> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                Socket s = new Socket();
                s.bind(new java.net.InetSocketAddress("127.0.0.5", 0));
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port));
                held.add(s);
            }
            Socket ninth = new Socket();
            ninth.bind(new java.net.InetSocketAddress("127.0.0.5", 0));
            ninth.connect(new java.net.InetSocketAddress("127.0.0.1", port));
            held.add(ninth);
            // The gateway's event loops take accepted connections in parallel, so whichever of the nine it counts
            // last is the one refused (not necessarily the ninth): exactly one is closed, the other eight held.
            List<Socket> closed = closedByServer(held, Duration.ofSeconds(10));
            assertThat(closed).as("one of nine from 127.0.0.5 is closed at once").hasSize(1);

            // another address is not affected, and enrols
            try (TlsClient other = enrol(TestTls.caFile(dir), "127.0.0.6", port, "other-address-node")) {
                assertThat(coordinator.registry().find("other-address-node")).isPresent();
            }
            // and an enrolled connection frees its slot: 127.0.0.5 can enrol once one pending one goes
            held.stream().filter(h -> !closed.contains(h)).findFirst().orElseThrow().close();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                try (TlsClient again = enrol(TestTls.caFile(dir), "127.0.0.5", port, "same-address-node")) {
                    return true;
                }
            });
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
