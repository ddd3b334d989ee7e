package dev.drover.coordinator.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One size of the ingest benchmark (issue 16): the coordinator jar under N {@link LoadAgents} with a probe,
 * then the same load against a {@link BareFrameReader} process, in the same run. Reports CPU of each (from
 * /proc), their ratio, the probe's send→visible through {@code GET /api/nodes/{id}}, how many nodes the API
 * shows alive, drops, heap after a full GC (jcmd) and RSS; optionally the effect of a 3 s SIGSTOP.
 */
final class IngestRun {
    static final String TOKEN = "ingest-bench-enrolment-token-0123456789";
    static final Path COORDINATOR_JAR = Path.of("target/drover-coordinator.jar").toAbsolutePath();

    /**
     * @param heap the coordinator's -Xmx; @param jfr keep a flight recording of the coordinator's run
     * @param dashboard also open the dashboard in headless Chromium under this load and time its updates
     * @param jvmOptions more options for the coordinator's JVM (another collector, say), after the heap
     */
    record Settings(int agents, long heartbeatMillis, int warmupSeconds, int seconds, String heap, boolean jfr,
            boolean stall, boolean dashboard, List<String> jvmOptions) {
    }

    /** Probe samples at or above this are "slow", and set against the coordinator's pauses. */
    private static final long SLOW_MILLIS = 50;

    static {
        // the load generator is not under test: paranoid leak tracking (on in every test JVM) would make it,
        // not the coordinator, the bottleneck
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }

    private final Path dir;
    private final Settings s;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private int httpPort;

    IngestRun(Path dir, Settings settings) {
        this.dir = dir.toAbsolutePath();
        this.s = settings;
    }

    JsonObject run() throws Exception {
        Files.createDirectories(dir);
        for (String old : List.of("coordinator.db", "coordinator.db-wal", "coordinator.db-shm", "coordinator.log",
                "bare-reader.log", "coordinator.jfr", "safepoints.log")) {
            Files.deleteIfExists(dir.resolve(old)); // a fresh coordinator every run: no nodes remembered
        }
        JsonObject r = new JsonObject().put("agents", s.agents()).put("heartbeatMillis", s.heartbeatMillis())
                .put("progressHz", 2).put("heap", s.heap()).put("loadAverageBefore", loadAverage());
        coordinator(r);
        bare(r);
        r.put("cpuRatio", Math.round(100.0 * r.getDouble("coordinatorCpu") / Math.max(0.001, r.getDouble("bareCpu")))
                / 100.0);
        r.put("loadAverageAfter", loadAverage());
        return r;
    }

    private void coordinator(JsonObject r) throws Exception {
        int gatewayPort = freePort();
        httpPort = freePort();
        Path config = dir.resolve("coordinator.yaml");
        Files.writeString(config, """
                gateway: {host: 127.0.0.1, port: %d, maxPendingPerAddress: 20000, maxConnections: 20000,
                          tls: {insecurePlaintext: true}}
                http: {host: 127.0.0.1, port: %d}
                liveness: {heartbeatIntervalMillis: %d}
                enrolment: {tokens: [%s]}
                store: {path: '%s'}
                """.formatted(gatewayPort, httpPort, s.heartbeatMillis(), TOKEN, dir.resolve("coordinator.db")));
        List<String> jvm = new ArrayList<>(List.of("-Xmx" + s.heap()));
        jvm.addAll(s.jvmOptions());
        jvm.addAll(PauseLog.jvmOptions(dir.resolve("safepoints.log")));
        if (s.jfr()) {
            jvm.add("-XX:StartFlightRecording=filename=" + dir.resolve("coordinator.jfr") + ",settings=profile");
        }
        jvm.addAll(List.of("-jar", COORDINATOR_JAR.toString(), "--config", config.toString()));
        try (BenchProcess coordinator = BenchProcess.java(dir, "coordinator", jvm)) {
            awaitTrue(Duration.ofSeconds(180), () -> {
                if (!coordinator.process.isAlive()) {
                    throw new AssertionError("coordinator exited " + coordinator.process.exitValue() + ": "
                            + Files.readString(coordinator.log));
                }
                return get("/healthz").statusCode() == 200;
            });
            long heapEmpty = heapAfterGc(coordinator);
            try (LoadAgents load = new LoadAgents("127.0.0.1", gatewayPort, TOKEN, s.heartbeatMillis(), true);
                    ProbeAgent probe = new ProbeAgent(gatewayPort, TOKEN, "probe")) {
                long connectStart = System.nanoTime();
                load.start("bench-", 0, s.agents(), 1000);
                awaitTrue(Duration.ofSeconds(120 + s.agents() / 50), () -> load.welcomed.get() >= s.agents());
                r.put("connectSeconds", (System.nanoTime() - connectStart) / 1e9);
                Thread.sleep(s.warmupSeconds() * 1000L);
                long dropsBefore = load.drops.get();
                double cpu0 = coordinator.cpuSeconds();
                long t0 = System.nanoTime();
                List<PauseLog.Sample> samples = probe(probe, s.seconds());
                List<Long> visible = samples.stream().map(PauseLog.Sample::millis).toList();
                double cpu1 = coordinator.cpuSeconds();
                double wall = (System.nanoTime() - t0) / 1e9;
                r.put("coordinatorCpu", Math.round(1000 * (cpu1 - cpu0) / wall) / 10.0); // % of one core
                r.put("sendToVisibleMillis", BenchStats.stats(visible).copy().put("samples", visible.size()));
                r.getJsonObject("sendToVisibleMillis").remove("all");
                r.put("tail", PauseLog.attribute(samples, PauseLog.read(dir.resolve("safepoints.log")), SLOW_MILLIS));
                r.put("tick", tick());
                r.put("dropsDuringMeasurement", load.drops.get() - dropsBefore);
                r.put("framesPerSecond", Math.round(s.agents() * (1000.0 / s.heartbeatMillis()) + s.agents() / 2 * 2));
                alive(r);
                if (s.dashboard()) {
                    dashboard(r);
                }
                r.put("rssBytes", coordinator.rssBytes());
                long heapFull = heapAfterGc(coordinator);
                r.put("heapLiveBytes", heapFull).put("heapLiveEmptyBytes", heapEmpty)
                        .put("heapPerNodeBytes", (heapFull - heapEmpty) / Math.max(1, s.agents()));
                if (s.stall()) {
                    stall(r, coordinator, load);
                }
            }
        }
    }

    /** Progress values sent every 250 ms, each timed until the node's API detail shows it. */
    private List<PauseLog.Sample> probe(ProbeAgent probe, int seconds) throws Exception {
        List<PauseLog.Sample> millis = new ArrayList<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        // a task's progress is shown rising only (a lower value never replaces a higher one), so every value is
        // higher than the last, and after 400 of them the probe moves on to its next task
        for (int i = 0; System.nanoTime() < end; i++) {
            float percent = (i % 400 + 1) * 0.25f; // exact in binary
            int tid = 1 + i / 400;
            long sent = System.nanoTime();
            long sentWall = System.currentTimeMillis();
            probe.progress(tid, percent);
            while (true) {
                HttpResponse<String> detail = get("/api/nodes/probe");
                if (shows(detail.body(), tid, percent)) {
                    millis.add(new PauseLog.Sample(sentWall, (System.nanoTime() - sent) / 1_000_000));
                    break;
                }
                if (System.nanoTime() - sent > 30_000_000_000L) {
                    millis.add(new PauseLog.Sample(sentWall, 30_000L));
                    break;
                }
                Thread.sleep(1);
            }
            Thread.sleep(250);
        }
        return millis;
    }

    /** Whether the node detail shows the probe's task {@code tid} at {@code percent}. */
    private static boolean shows(String detail, int tid, float percent) {
        JsonArray tasks = new JsonObject(detail).getJsonArray("currentTasks");
        for (int i = 0; i < tasks.size(); i++) {
            JsonObject t = tasks.getJsonObject(i);
            if (t.getInteger("tid") == tid && t.getDouble("percent") == percent) {
                return true;
            }
        }
        return false;
    }

    /** The coordinator's own once-a-second tick over the fleet ({@code drover_tick_seconds}): mean and max. */
    private JsonObject tick() throws Exception {
        java.util.Map<String, Double> v = new java.util.HashMap<>();
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith("drover_tick_seconds_")) {
                String[] kv = line.split(" ");
                v.put(kv[0], Double.parseDouble(kv[1]));
            }
        }
        double count = v.getOrDefault("drover_tick_seconds_count", 0.0);
        return new JsonObject().put("ticks", (long) count)
                .put("meanMillis", count == 0 ? 0 : Math.round(10_000 * v.get("drover_tick_seconds_sum") / count) / 10.0)
                .put("maxMillis", Math.round(10_000 * v.getOrDefault("drover_tick_seconds_max", 0.0)) / 10.0);
    }

    /** How the API shows the fleet: alive = Ready or Busy and connected; and what a whole compact list costs. */
    private void alive(JsonObject r) throws Exception {
        int alive = 0;
        int suspect = 0;
        long t0 = System.nanoTime();
        long bytes = 0;
        String cursor = "";
        do {
            HttpResponse<String> page = get("/api/nodes?view=compact&limit=5000" + (cursor.isEmpty() ? ""
                    : "&cursor=" + cursor));
            bytes += page.body().length();
            JsonObject json = new JsonObject(page.body());
            JsonArray nodes = json.getJsonArray("nodes");
            for (int i = 0; i < nodes.size(); i++) {
                JsonObject n = nodes.getJsonObject(i);
                String state = n.getString("state");
                if ((state.equals("READY") || state.equals("BUSY")) && n.getBoolean("connected")) {
                    alive++;
                } else if (state.equals("SUSPECT")) {
                    suspect++;
                }
            }
            String next = json.getString("next");
            cursor = next == null ? "" : next;
        } while (!cursor.isEmpty());
        r.put("compactListMillis", (System.nanoTime() - t0) / 1_000_000).put("compactListBytes", bytes);
        long f0 = System.nanoTime();
        HttpResponse<String> full = get("/api/nodes");
        r.put("fullListMillis", (System.nanoTime() - f0) / 1_000_000).put("fullListBytes", full.body().length());
        r.put("aliveShown", alive - 1).put("suspectShown", suspect); // minus the probe
    }

    /**
     * The dashboard under the same load: the page's own time to apply each update ({@code
     * window.droverRenderMillis}: the first full snapshot, then the per-second deltas), as DashboardIT measures
     * it at 1,000 nodes. Not a test: the figures are recorded, and a failed page is recorded as such.
     */
    private void dashboard(JsonObject r) throws Exception {
        dev.drover.coordinator.Browser.install();
        dev.drover.coordinator.Browser.Run run = dev.drover.coordinator.Browser.run("dashboard-check.cjs",
                java.util.Map.of("URL", "http://127.0.0.1:" + httpPort + "/ui/", "SCREENSHOT",
                        dir.resolve("dashboard.png").toString(), "FULL_PAGE", "0", "MIN_NODES",
                        Integer.toString(s.agents()), "MEASURE_RENDER", "1", "TIMEOUT_MS", "180000"), 600);
        JsonObject seen = new JsonObject(run.output().lines().filter(l -> l.startsWith("{")).findFirst().orElse("{}"));
        JsonObject d = new JsonObject().put("exitCode", run.exitCode()).put("nodesDrawn", seen.getInteger("nodes"));
        JsonArray millis = seen.getJsonArray("renderMillis", new JsonArray());
        List<Long> sorted = millis.stream().map(o -> ((Number) o).longValue()).sorted().toList();
        d.put("renderMillisSorted", new JsonArray(new ArrayList<>(sorted)));
        if (!sorted.isEmpty()) {
            d.put("p50", sorted.get(sorted.size() / 2)).put("p95", sorted.get((int) Math.ceil(sorted.size() * 0.95) - 1))
                    .put("max", sorted.get(sorted.size() - 1));
        }
        if (run.exitCode() != 0) {
            d.put("failure", run.output().lines().filter(l -> l.contains("failed")).findFirst().orElse(""));
        }
        r.put("dashboard", d);
    }

    /** A 3 s SIGSTOP of the coordinator: how many agents dropped their connection in the 30 s after SIGCONT. */
    private void stall(JsonObject r, BenchProcess coordinator, LoadAgents load) throws Exception {
        long before = load.drops.get();
        coordinator.signal("STOP");
        Thread.sleep(3000);
        coordinator.signal("CONT");
        Thread.sleep(30_000);
        r.put("stallDrops", load.drops.get() - before);
        JsonObject after = new JsonObject();
        alive(after);
        r.put("stallAliveAfter30s", after.getInteger("aliveShown"));
    }

    private void bare(JsonObject r) throws Exception {
        Path portFile = dir.resolve("bare.port");
        Files.deleteIfExists(portFile);
        try (BenchProcess bare = BenchProcess.java(dir, "bare-reader", List.of("-Xmx" + s.heap(), "-cp",
                System.getProperty("java.class.path"), BareFrameReader.class.getName(), portFile.toString()))) {
            awaitTrue(Duration.ofSeconds(60), () -> Files.exists(portFile));
            int port = Integer.parseInt(Files.readString(portFile).trim());
            try (LoadAgents load = new LoadAgents("127.0.0.1", port, TOKEN, s.heartbeatMillis(), false)) {
                load.start("bench-", 0, s.agents(), 1000);
                awaitTrue(Duration.ofSeconds(120 + s.agents() / 50), () -> load.connected.get() >= s.agents());
                Thread.sleep(s.warmupSeconds() * 1000L);
                double cpu0 = bare.cpuSeconds();
                long t0 = System.nanoTime();
                Thread.sleep(s.seconds() * 1000L);
                double cpu1 = bare.cpuSeconds();
                double wall = (System.nanoTime() - t0) / 1e9;
                r.put("bareCpu", Math.round(1000 * (cpu1 - cpu0) / wall) / 10.0).put("bareRssBytes", bare.rssBytes());
            }
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    /** Live heap: a full GC through jcmd, then the heap's used size. */
    static long heapAfterGc(BenchProcess p) throws Exception {
        jcmd(p, "GC.run");
        Matcher m = USED.matcher(jcmd(p, "GC.heap_info"));
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }

    private static String jcmd(BenchProcess p, String command) throws Exception {
        Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(p.pid()), command).redirectErrorStream(true).start();
        String out = new String(j.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        j.waitFor();
        return out;
    }

    static String loadAverage() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).trim().split(" 1?[0-9]+/")[0];
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void awaitTrue(Duration max, Check check) throws Exception {
        long end = System.nanoTime() + max.toNanos();
        while (true) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not up yet
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("not reached within " + max);
            }
            Thread.sleep(200);
        }
    }

    static int freePort() throws Exception {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
