package dev.drover.coordinator.fuzz;

import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Welcome;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives a fuzzing run against a plaintext gateway: {@code cases} inputs from {@link ProtocolFuzz}, grouped in
 * connections. A quarter of the plans send 1–8 cases before any Hello, each in a connection of its own; the rest enrol with a valid Hello
 * (a node id of their worker's own, so no two live connections share one) and send 200–599 cases: agent
 * traffic with random field values (every agent-to-coordinator type; mostly heartbeats and progress, as on a
 * farm), then one case of any kind. Every {@value #CHUNK} cases a Ping's Pong shows the gateway applied them
 * and kept the session; when it closed the session instead, the plan goes on in a new connection.
 * Plan {@code j}'s cases come from {@code Random(seed, j)}: a run is reproducible.
 */
public final class FuzzRun {
    /** Node ids per worker for Hellos that carry the valid token: bounded, so the fleet stays bounded too. */
    public static final int IDS_PER_WORKER = 4;
    /** Cases written back to back before a Ping checks the session is still there. */
    static final int CHUNK = 100;

    private final int port;
    private final String token;
    private final long seed;
    private final int workers;
    private final int readTimeoutMillis;

    private final AtomicLong cases = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong survived = new AtomicLong();
    private final AtomicLong closedByGateway = new AtomicLong();
    private final AtomicLong closedEarly = new AtomicLong();
    private final AtomicLong preHelloNanos = new AtomicLong();
    private final AtomicLong enrolNanos = new AtomicLong();
    private final AtomicLong caseNanos = new AtomicLong();
    private final Map<ProtocolFuzz.Kind, AtomicLong> byKind = new EnumMap<>(ProtocolFuzz.Kind.class);

    public FuzzRun(int port, String token, long seed, int workers, int readTimeoutMillis) {
        this.port = port;
        this.token = token;
        this.seed = seed;
        this.workers = workers;
        this.readTimeoutMillis = readTimeoutMillis;
        for (ProtocolFuzz.Kind k : ProtocolFuzz.Kind.values()) {
            byKind.put(k, new AtomicLong());
        }
    }

    /** The node credential each fuzzing node id was issued in its first Welcome (PROTOCOL.md §6.1.1). */
    private final Map<String, String> credentials = new ConcurrentHashMap<>();

    /** What a run did. */
    public record Figures(long cases, long connections, long survived, long closedByGateway, long closedEarly,
            Map<ProtocolFuzz.Kind, Long> byKind, long millis, long preHelloMillis, long enrolMillis,
            long caseMillis) {
    }

    /** Runs until {@code total} cases were sent; throws the first failure (a stall, an undecodable answer). */
    public Figures run(long total) throws Exception {
        long start = System.nanoTime();
        AtomicInteger nextPlan = new AtomicInteger();
        AtomicLong planned = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                done.add(pool.submit(() -> {
                    while (true) {
                        int j = nextPlan.getAndIncrement();
                        Random random = new Random(seed * 1_000_003L + j);
                        boolean beforeHello = random.nextInt(4) == 0;
                        int n = beforeHello ? 1 + random.nextInt(8) : 200 + random.nextInt(400);
                        long from = planned.getAndAdd(n);
                        if (from >= total) {
                            return null;
                        }
                        n = (int) Math.min(n, total - from);
                        String nodeId = "fuzz-" + worker + "-" + (j % IDS_PER_WORKER);
                        String address = "127.0." + (1 + worker) + "." + (1 + j % 200);
                        ProtocolFuzz fuzz = new ProtocolFuzz(random, token);
                        if (beforeHello) {
                            for (int i = 0; i < n; i++) {
                                beforeHello(address, fuzz, nodeId);
                            }
                        } else {
                            afterHello(address, fuzz, nodeId, n);
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Map<ProtocolFuzz.Kind, Long> kinds = new EnumMap<>(ProtocolFuzz.Kind.class);
        byKind.forEach((k, v) -> kinds.put(k, v.get()));
        return new Figures(cases.get(), connections.get(), survived.get(), closedByGateway.get(), closedEarly.get(),
                kinds,
                (System.nanoTime() - start) / 1_000_000, preHelloNanos.get() / 1_000_000, enrolNanos.get() / 1_000_000,
                caseNanos.get() / 1_000_000);
    }

    private void beforeHello(String address, ProtocolFuzz fuzz, String nodeId) throws IOException {
        ProtocolFuzz.Case c = fuzz.next(nodeId);
        long t0 = System.nanoTime();
        try (FuzzSession s = new FuzzSession(address, port, readTimeoutMillis)) {
            connections.incrementAndGet();
            count(c);
            s.write(c.bytes());
            s.finish(); // the gateway must close once we stop, whatever the bytes did
            closedByGateway.incrementAndGet();
        }
        preHelloNanos.addAndGet(System.nanoTime() - t0);
    }

    private void afterHello(String address, ProtocolFuzz fuzz, String nodeId, int n) throws IOException {
        int sent = 0;
        long nonce = 0;
        while (sent < n) {
            long t0 = System.nanoTime();
            try (FuzzSession s = new FuzzSession(address, port, readTimeoutMillis)) {
                connections.incrementAndGet();
                // a well-behaved agent: after its first Welcome it presents the node credential it was issued
                s.write(fuzz.encode(new Hello(1, 1, "fuzz", NodeIdentity.local(nodeId, "fuzz"), 1, 0, token, "", 0,
                        "", "", 0, credentials.getOrDefault(nodeId, ""), "")));
                Message welcome = s.read();
                if (!(welcome instanceof Welcome w)) {
                    throw new IOException("a valid Hello for " + nodeId + " got " + welcome + " instead of Welcome");
                }
                if (!w.nodeCredential().isEmpty()) {
                    credentials.put(nodeId, w.nodeCredential());
                }
                long t1 = System.nanoTime();
                enrolNanos.addAndGet(t1 - t0);
                boolean open = true;
                while (open && sent < n) {
                    // agent traffic with random values, and as the last case of the plan anything at all
                    int chunk = Math.min(CHUNK, n - sent);
                    boolean openEnded = false;
                    for (int i = 0; i < chunk && open; i++) {
                        sent++;
                        ProtocolFuzz.Case c = sent == n ? fuzz.next(nodeId) : fuzz.agentTraffic();
                        count(c);
                        open = s.write(c.bytes());
                        openEnded = FuzzSession.leavesFrameOpen(c.bytes());
                    }
                    if (openEnded) {
                        s.finish();
                        open = false;
                    } else if (open) {
                        open = s.write(fuzz.encode(new Ping(++nonce))) && s.awaitPong(nonce);
                        if (open) {
                            survived.addAndGet(chunk);
                        } else {
                            closedEarly.incrementAndGet();
                        }
                    }
                }
                caseNanos.addAndGet(System.nanoTime() - t1);
                if (open) {
                    s.write(fuzz.encode(new Bye(ByeReason.SHUTDOWN, "")));
                }
                s.finish();
                closedByGateway.incrementAndGet();
            }
        }
    }

    private void count(ProtocolFuzz.Case c) {
        cases.incrementAndGet();
        byKind.get(c.kind()).incrementAndGet();
    }
}
