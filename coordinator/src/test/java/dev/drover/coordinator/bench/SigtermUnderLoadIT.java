package dev.drover.coordinator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.store.CoordinatorState;
import dev.drover.coordinator.store.FleetStore;
import dev.drover.coordinator.store.StateStore;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The coordinator jar stops on SIGTERM while 1,000 agents are connected (issue 16), and leaves its store whole:
 * the database passes SQLite's integrity check and still holds every node and its credential, so the next start
 * resumes them all. The stop time is measured and reported (target/bench/sigterm.json), bounded here only
 * generously (60 s; the systemd unit's TimeoutStopSec is what bounds it in production). Then it starts again on that
 * store and restores every node; its start time is reported beside the first start's, on an empty store.
 */
class SigtermUnderLoadIT {
    private static final int AGENTS = Integer.getInteger("bench.sigtermAgents", 1000);

    /** Seconds from now until the coordinator answers /healthz. */
    private static double healthy(BenchProcess coordinator, int httpPort) throws Exception {
        long t0 = System.nanoTime();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        IngestRun.awaitTrue(Duration.ofSeconds(180), () -> {
            assertThat(coordinator.process.isAlive()).as("coordinator running; log: %s", coordinator.log).isTrue();
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/healthz"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode() == 200;
        });
        return Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
    }

    @Test
    void stopsOnSigtermWithAThousandAgentsConnectedAndItsStoreWhole() throws Exception {
        Path dir = Files.createDirectories(Path.of("target/bench/sigterm").toAbsolutePath());
        for (String old : List.of("coordinator.db", "coordinator.db-wal", "coordinator.db-shm", "coordinator.log",
                "coordinator-restart.log")) {
            Files.deleteIfExists(dir.resolve(old));
        }
        int gatewayPort = IngestRun.freePort();
        int httpPort = IngestRun.freePort();
        Path db = dir.resolve("coordinator.db");
        Path config = dir.resolve("coordinator.yaml");
        Files.writeString(config, """
                gateway: {host: 127.0.0.1, port: %d, maxPendingPerAddress: 20000, maxConnections: 20000,
                          tls: {insecurePlaintext: true}}
                http: {host: 127.0.0.1, port: %d}
                liveness: {heartbeatIntervalMillis: 1000}
                enrolment: {tokens: [%s]}
                store: {path: '%s'}
                """.formatted(gatewayPort, httpPort, IngestRun.TOKEN, db));
        JsonObject r = new JsonObject().put("agents", AGENTS).put("loadAverageBefore", IngestRun.loadAverage());
        try (BenchProcess coordinator = BenchProcess.java(dir, "coordinator", List.of("-Xmx512m", "-jar",
                IngestRun.COORDINATOR_JAR.toString(), "--config", config.toString()));
                LoadAgents load = new LoadAgents("127.0.0.1", gatewayPort, IngestRun.TOKEN, 1000, true)) {
            r.put("startSecondsEmptyStore", healthy(coordinator, httpPort));
            // given: every agent welcomed and sending heartbeats and progress
            load.start("sigterm-", 0, AGENTS, 1000);
            IngestRun.awaitTrue(Duration.ofSeconds(180), () -> load.welcomed.get() >= AGENTS);
            Thread.sleep(5000);
            assertThat(load.connected.get()).as("agents connected at SIGTERM").isGreaterThanOrEqualTo(AGENTS);
            // when: SIGTERM (Process.destroy on Linux), as systemd stops the service
            long t0 = System.nanoTime();
            coordinator.process.destroy();
            boolean exited = coordinator.process.waitFor(60, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            r.put("stopSeconds", Math.round(seconds * 100) / 100.0).put("loadAverageAfter", IngestRun.loadAverage());
            // then: it exited by itself, in time
            assertThat(exited).as("coordinator exited within 60 s of SIGTERM; log: %s", coordinator.log).isTrue();
            r.put("exitCode", coordinator.process.exitValue());
            assertThat(Files.readString(coordinator.log)).doesNotContain("unclean stop");
        }
        // and its store is whole and remembers every agent
        try (StateStore store = StateStore.open(db.toString(), "NORMAL")) {
            String check = store.read(c -> {
                try (var rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
                    return rs.getString(1);
                }
            });
            assertThat(check).isEqualTo("ok");
            assertThat(new FleetStore(store, false).loadNodes()).hasSize(AGENTS);
        }
        try (CoordinatorState state = CoordinatorState.open(new dev.drover.coordinator.config.CoordinatorConfig.Store(
                db.toString(), "NORMAL"), false)) {
            assertThat(state.credentials().all()).hasSize(AGENTS);
        }
        // and a new start restores them all (measured beside the start on an empty store above)
        try (BenchProcess again = BenchProcess.java(dir, "coordinator-restart", List.of("-Xmx512m", "-jar",
                IngestRun.COORDINATOR_JAR.toString(), "--config", config.toString()))) {
            r.put("startSecondsWithRememberedNodes", healthy(again, httpPort));
            assertThat(Files.readString(again.log)).contains("state restored").contains("nodes=\"" + AGENTS + "\"");
        }
        Files.writeString(Path.of("target/bench/sigterm.json"), r.encodePrettily());
        System.out.println("sigterm under load: " + r.encode());
    }
}
