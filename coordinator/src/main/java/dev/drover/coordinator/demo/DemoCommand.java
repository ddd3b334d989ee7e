package dev.drover.coordinator.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.drover.coordinator.Coordinator;
import dev.drover.coordinator.CoordinatorMain;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.queue.BuiltInQueue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drover-coordinator demo}: the whole system on one machine with no cloud and no Tractor — the
 * coordinator with its built-in queue, a local pool whose "instances" are agent processes (each with a fake
 * IMDS, so Spot evictions can be injected), and a job of frames rendered through drover-run by a real
 * renderer. Chaos (on by default) evicts busy nodes now and then; when the job is done the pool drains and
 * scales in, and a summary is printed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs Drover on this machine: coordinator, a local pool of agents, a job of frames, chaos.")
public final class DemoCommand implements Callable<Integer> {
    static final String POOL = "demo";

    @Option(names = "--frames", defaultValue = "24", description = "Frames in the sample job (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--max-nodes", defaultValue = "4", description = "Most local nodes at once (default ${DEFAULT-VALUE}).")
    int maxNodes;

    @Option(names = "--renderer", defaultValue = "sample",
            description = "sample (built in, default) or blender (if installed).")
    String renderer;

    @Option(names = "--chaos", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Inject Spot evictions into busy nodes (default on; --no-chaos to turn off).")
    boolean chaos;

    @Option(names = "--chaos-interval-seconds", defaultValue = "20", description = "Time between evictions.")
    int chaosInterval;

    @Option(names = "--chaos-max", defaultValue = "2", description = "Most evictions in one run (default ${DEFAULT-VALUE}).")
    int chaosMax;

    @Option(names = "--eviction-notice-seconds", defaultValue = "15",
            description = "NotBefore of injected Preempt events (Azure gives Spot VMs 30 s).")
    int noticeSeconds;

    @Option(names = "--idle-seconds", defaultValue = "10", description = "Idle window before scale-in.")
    int idleSeconds;

    @Option(names = "--price", defaultValue = "0.12", description = "Price per node-hour for the summary (USD).")
    double price;

    @Option(names = "--http-port", defaultValue = "7780", description = "API and dashboard port (0 = any).")
    int httpPort;

    @Option(names = "--agent-jar", paramLabel = "FILE", description = "The agent jar (default: found beside this one).")
    Path agentJar;

    @Option(names = "--work-dir", defaultValue = ".drover/demo", paramLabel = "DIR",
            description = "Images, agent logs and task output (default ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--exit-when-done", description = "Exit after the summary instead of serving the dashboard on.")
    boolean exitWhenDone;

    @Option(names = "--verbose", description = "Log everything the coordinator does to the console.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (frames < 1 || frames > 10_000 || maxNodes < 1 || maxNodes > 64) {
            System.err.println("demo: --frames must be 1..10000 and --max-nodes 1..64");
            return 2;
        }
        List<String> renderCommand = DemoJob.renderer(renderer);
        if (renderCommand == null) {
            System.err.println("demo: --renderer must be sample or blender (blender must be on PATH)");
            return 2;
        }
        if (!verbose) {
            ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("ROOT").setLevel(Level.WARN);
        }
        Path jar = agentJar != null ? agentJar : AgentJar.locate();
        Path work = workDir.toAbsolutePath();
        Path images = work.resolve("images");
        Files.createDirectories(images);
        // each demo is a new farm: its local VMs start afresh, so state from an earlier run would only mislead
        for (String f : List.of("coordinator.db", "coordinator.db-wal", "coordinator.db-shm")) {
            Files.deleteIfExists(work.resolve(f));
        }
        String enrolment = newToken();
        String viewer = newToken();
        String operator = newToken();
        // The agent channel uses TLS here too: the demo's own CA in the work dir, pinned by its agents.
        Path tlsDir = work.resolve("tls");
        CoordinatorConfig config = config(enrolment, viewer, operator, tlsDir);
        Path caFile = tlsDir.resolve(dev.drover.coordinator.tls.GatewayTls.CA_CERT);
        AtomicReference<LocalScaleSet> local = new AtomicReference<>();
        Coordinator coordinator;
        try {
            coordinator = new Coordinator(config, Clock.systemUTC(), (pool, vertx, gatewayPort) -> {
                local.set(new LocalScaleSet(pool.name(), jar, work, "127.0.0.1:" + gatewayPort, enrolment,
                        caFile));
                return local.get();
            }).start().await();
        } catch (Coordinator.StartException e) {
            System.err.println("demo: " + e.getMessage() + " (choose another with --http-port)");
            return 1;
        }
        BuiltInQueue queue = coordinator.builtInQueue();
        long jid = queue.submit(DemoJob.job(renderCommand, renderer, frames, jar, images));
        String base = "http://127.0.0.1:" + coordinator.httpPort();
        System.out.println();
        System.out.println("Drover demo: job " + jid + " of " + frames + " frames on a local Spot pool of up to "
                + maxNodes + " nodes" + (chaos ? ", with evictions injected" : ""));
        System.out.println("  dashboard:      " + base + "/ui/#token=" + viewer);
        System.out.println("  viewer token:   " + viewer);
        System.out.println("  operator token: " + operator);
        System.out.println("  API:            curl -H 'Authorization: Bearer " + viewer + "' " + base + "/api/nodes");
        System.out.println("  images:         " + images);
        System.out.println("Press Ctrl-C to stop.");
        System.out.println();
        System.out.flush();

        Chaos chaosMonkey = chaos ? new Chaos(coordinator.registry(), local::get, Duration.ofSeconds(chaosInterval),
                Duration.ofSeconds(noticeSeconds), chaosMax) : null;
        if (chaosMonkey != null) {
            chaosMonkey.start();
        }
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch cleanedUp = new CountDownLatch(1);
        // Ctrl-C: the JVM runs hooks while main is still going, so the hook waits for main's clean-up
        // (every local VM stopped) before the JVM may exit; otherwise agents would outlive the demo.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                cleanedUp.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        DemoProgress progress = new DemoProgress(coordinator.timeline(), queue, local::get, coordinator.registry(),
                System.out);
        try {
            while (!progress.finished() && !stop.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
                progress.printNew();
                if (chaosMonkey != null && queue.drained()) {
                    chaosMonkey.stop();
                }
            }
            progress.printNew();
            if (progress.finished()) {
                progress.printSummary(price, images);
                if (!exitWhenDone) {
                    System.out.println("The dashboard stays up; press Ctrl-C to stop.");
                    System.out.flush();
                    stop.await();
                }
            }
        } finally {
            if (chaosMonkey != null) {
                chaosMonkey.stop();
            }
            if (local.get() != null) {
                local.get().close();
            }
            coordinator.stop().await();
            cleanedUp.countDown();
        }
        return progress.finished() ? 0 : 130;
    }

    private CoordinatorConfig config(String enrolment, String viewer, String operator, Path tlsDir) {
        CoordinatorConfig.Pool pool = new CoordinatorConfig.Pool(POOL, "Standard_D4s_v5", "", "spot", 1,
                List.of("sample", "blender"), 0, maxNodes, price, null, null, idleSeconds, 25,
                new CoordinatorConfig.ScaleSet("local", null, null, POOL, null));
        return new CoordinatorConfig(
                new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null, null,
                        new CoordinatorConfig.Tls(tlsDir.toString(), null, null, null, List.of("127.0.0.1"), false), null),
                new CoordinatorConfig.Http("127.0.0.1", httpPort, List.of(viewer), List.of(operator), null, null),
                new CoordinatorConfig.Liveness(1000, 10, 3, 15_000),
                new CoordinatorConfig.Enrolment(List.of(enrolment), null), null, List.of(pool), Map.of(), null,
                new CoordinatorConfig.Scaling(60, 60, 3, 600, 60), null,
                CoordinatorConfig.Store.at(workDir.toAbsolutePath().resolve("coordinator.db")));
    }

    static String newToken() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
