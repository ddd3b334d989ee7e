package dev.drover.coordinator.faults;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * When a restarted coordinator's agent gateway first accepts a TCP connection: "the coordinator is up" as an
 * agent sees it (its HTTP API may answer later). Probes every 50 ms from a thread of its own.
 */
final class GatewayWatch {
    private final CompletableFuture<Long> accepting = new CompletableFuture<>();

    static GatewayWatch start(int port) {
        GatewayWatch w = new GatewayWatch();
        Thread t = new Thread(() -> {
            long deadline = System.currentTimeMillis() + 180_000;
            while (System.currentTimeMillis() < deadline) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    w.accepting.complete(System.currentTimeMillis());
                    return;
                } catch (IOException refused) {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
            w.accepting.completeExceptionally(new IllegalStateException("gateway never accepted on " + port));
        }, "gateway-watch");
        t.setDaemon(true);
        t.start();
        return w;
    }

    long acceptingAt() throws Exception {
        return accepting.get(180, TimeUnit.SECONDS);
    }
}
