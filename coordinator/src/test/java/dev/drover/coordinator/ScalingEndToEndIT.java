package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.azure.ArmClient;
import dev.drover.coordinator.azure.ArmScaleSet;
import dev.drover.coordinator.azure.FakeArm;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.tractor.FakeTractorEngine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's end-to-end test: the coordinator reads the (fake) Tractor engine's queue and drives a (fake) ARM
 * scale set whose new instances are real agent processes, each with a minimal blade beside it that takes work
 * from the engine (nextcmd, bpulse, exitcode) and runs it through drover-run. 40 ready tasks → scale-out within
 * the pool's max → agents enrol → tasks complete; a Spot Preempt mid-task → NIMBY and ejectall for that blade
 * before the VM goes, the task finishes elsewhere, capacity is replaced; at the end idle nodes are drained and
 * their very instances deleted, never one with a running task.
 */
class ScalingEndToEndIT {
    static final String TOKEN = "e2e-enrolment-token-0123456789";
    static final int MAX_NODES = 4;
    static final int TASKS = 40;

    @TempDir
    Path dir;
    private final Vertx vertx = Vertx.vertx();
    private final Map<String, JarProcess> agents = new ConcurrentHashMap<>();
    private final Map<String, FakeBlade> blades = new ConcurrentHashMap<>();
    private final Map<String, Integer> imdsPorts = new ConcurrentHashMap<>();
    private final List<String> deletedWhileBusy = new CopyOnWriteArrayList<>();
    private final List<String> deletedByApi = new CopyOnWriteArrayList<>();
    private Coordinator coordinator;

    @AfterEach
    void stop() throws Exception {
        for (FakeBlade b : blades.values()) {
            b.close();
        }
        for (JarProcess a : agents.values()) {
            a.close();
        }
        if (coordinator != null) {
            coordinator.stop().await();
        }
        vertx.close().await();
    }

    @Test
    void fortyTasksScaleOutSurviveAPreemptAndScaleIn() throws Exception {
        FakeTractorEngine engine = new FakeTractorEngine(vertx);
        int enginePort = engine.listen(0).await();
        AtomicInteger gatewayPort = new AtomicInteger();
        FakeArm arm = new FakeArm(vertx, "00000000-0000-0000-0000-0000000000e2", "rg-render", "render-vmss", "render",
                Duration.ofMillis(500), new FakeArm.Hooks() {
                    @Override
                    public void created(String instanceId, String computerName) {
                        startMachine(computerName, gatewayPort.get(), enginePort);
                    }

                    @Override
                    public void deleted(String instanceId, String computerName, boolean evicted) {
                        if (!evicted) {
                            deletedByApi.add(computerName);
                            if (engine.activeOn(computerName) > 0) {
                                deletedWhileBusy.add(computerName);
                            }
                        }
                        stopMachine(computerName);
                    }
                });
        String armEndpoint = arm.listen().await();

        CoordinatorConfig config = new CoordinatorConfig(
                TestTls.gateway(dir),
                new CoordinatorConfig.Http("127.0.0.1", 0), new CoordinatorConfig.Liveness(500, 10, 3, 10_000),
                new CoordinatorConfig.Enrolment(List.of(TOKEN), null),
                new CoordinatorConfig.Tractor("127.0.0.1", enginePort, "drover", 200, 2000),
                List.of(new CoordinatorConfig.Pool("spot", "Standard_D4s_v5", "", "spot", 1, List.of("Blender"), 0,
                        MAX_NODES, 0.10, null, null, 3, 50, new CoordinatorConfig.ScaleSet("azure",
                                "00000000-0000-0000-0000-0000000000e2", "rg-render", "render-vmss", "uniform"))),
                Map.of(), null, new CoordinatorConfig.Scaling(60, 180, 3, 600, 60),
                new CoordinatorConfig.Azure(armEndpoint, null, 500));
        coordinator = new Coordinator(config, Clock.systemUTC(), (pool, vx, gw) -> new ArmScaleSet(
                new ArmClient(vx, config.azure(), () -> Future.succeededFuture("e2e-test-token")), pool.scaleSet()))
                .start().await();
        gatewayPort.set(coordinator.gatewayPort());
        CoordinatorApi api = new CoordinatorApi(coordinator.httpPort());

        Path images = dir.resolve("images");
        for (int t = 1; t <= TASKS; t++) {
            // each task holds its blade for 3 s before it renders, so the Preempt lands mid-task however fast the
            // render and however slow the machine ("$0" "$@" run the renderer's own argv after the pause)
            engine.addTask(1, t, "blender", "ready", List.of("sh", "-c", "sleep 3 && exec \"$0\" \"$@\"",
                    JarProcess.javaExecutable(), "-Xmx64m",
                    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", JarProcess.AGENT_JAR.toString(),
                    "dev.drover.agent.sample.SampleRenderer", "--frame", String.valueOf(t), "--frames",
                    String.valueOf(TASKS), "--out", images.toString(), "--width", "160", "--height", "90",
                    "--samples", "1", "--iterations", "400"));
        }

        // scale-out within max; agents enrol; blades take work
        await().atMost(Duration.ofSeconds(30)).until(() -> arm.instanceCount() == MAX_NODES);
        await().atMost(Duration.ofSeconds(180)).until(() -> engine.count("done") >= 8);

        // a Spot eviction mid-task: Preempt in the VM's IMDS, the VM vanishes at NotBefore. Only once every agent
        // is connected and so polling its IMDS: on a loaded machine an agent JVM can take many seconds to start,
        // and a notice that appears before it looks would be seen as already started.
        await().atMost(Duration.ofSeconds(180)).until(() -> agents.keySet().stream().allMatch(
                n -> connected(api, n)));
        String victim = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> busyBlade(engine), b -> b != null);
        int busyWith = activeTask(engine, victim);
        // the notice goes out as the victim starts its next task, so it lands mid-task however short tasks are
        int victimTask = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20))
                .ignoreExceptions().until(() -> activeTask(engine, victim), t -> t != busyWith);
        preemptNotice(victim, 4);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> engine.controlCalls().contains("ejectall " + victim));
        assertThat(engine.controlCalls()).contains("nimby " + victim + " 1");
        // NIMBY comes before ejectall, and both before the VM is gone (notice still running)
        assertThat(engine.controlCalls().indexOf("nimby " + victim + " 1"))
                .isLessThan(engine.controlCalls().indexOf("ejectall " + victim));
        Thread.sleep(4000);
        assertThat(arm.preempt(victim)).isTrue();

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .until(() -> engine.count("done") == TASKS);
        List<String> ranOn = engine.ranOn(1, victimTask);
        assertThat(ranOn.get(0)).isEqualTo(victim);
        assertThat(ranOn.get(ranOn.size() - 1)).isNotEqualTo(victim);
        assertThat(engine.count("error")).isZero();
        // capacity was replaced: more machines were created than the pool's max
        assertThat(arm.calls().stream().filter(c -> c.startsWith("PATCH capacity")).map(c -> Integer.parseInt(
                c.substring("PATCH capacity ".length())))).anyMatch(c -> c > MAX_NODES);

        // idle nodes are drained and their own instances deleted; nothing is left
        await().atMost(Duration.ofSeconds(60)).until(() -> arm.instanceCount() == 0);
        assertThat(deletedWhileBusy).isEmpty();
        assertThat(arm.capacityDecreases()).as("never scaled in by lowering capacity").isZero();
        assertThat(deletedByApi).isNotEmpty();
        for (String node : deletedByApi) {
            assertThat(engine.controlCalls()).contains("nimby " + node + " 1");
            await().atMost(Duration.ofSeconds(30)).until(() -> engine.controlCalls().contains("delist " + node));
        }
        // a working pool never had more machines than its max, plus the one being evicted
        assertThat(arm.peakInstances()).isLessThanOrEqualTo(MAX_NODES + 1);

        JsonObject pool = new JsonObject(api.get("/api/pools").body()).getJsonArray("pools").getJsonObject(0);
        assertThat(pool.getBoolean("executed")).isTrue();
        assertThat(pool.getJsonObject("scaleSet").getJsonObject("rateLimitRemaining")
                .getString("x-ms-ratelimit-remaining-subscription-reads")).isEqualTo("249");
        assertThat(pool.getJsonArray("decisions").stream().map(d -> ((JsonObject) d).getString("reason")))
                .anyMatch(r -> r.startsWith("scale out to " + MAX_NODES))
                .anyMatch(r -> r.startsWith("scale in"));
        JsonObject timeline = new JsonObject(api.get("/api/timeline").body());
        assertThat(timeline.getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("kind")))
                .contains("scale", "eviction", "drain", "delete");
    }

    private void startMachine(String name, int gatewayPort, int enginePort) {
        try {
            int imdsPort = JarProcess.freePort();
            Path socket = dir.resolve(name + ".sock");
            imdsPorts.put(name, imdsPort);
            agents.put(name, JarProcess.start(JarProcess.AGENT_JAR, "e2e-" + name + "-" + System.nanoTime(), List.of(
                    "--coordinator", "127.0.0.1:" + gatewayPort, "--coordinator-ca-file", TestTls.caFile(dir).toString(), "--node-id", name, "--pool", "spot",
                    "--demo-imds-port", String.valueOf(imdsPort), "--local-socket", socket.toString(),
                    "--state-dir", dir.resolve(name + "-state").toString(),
                    "--heartbeat-millis", "500"), Map.of("DROVER_ENROLMENT_TOKEN", TOKEN)));
            blades.put(name, new FakeBlade(name, enginePort, socket, "blender"));
        } catch (Exception e) {
            throw new IllegalStateException("cannot start machine " + name, e);
        }
    }

    private void stopMachine(String name) {
        try {
            FakeBlade b = blades.remove(name);
            if (b != null) {
                b.close();
            }
            JarProcess a = agents.remove(name);
            if (a != null) {
                a.kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean connected(CoordinatorApi api, String node) {
        try {
            return List.of("READY", "BUSY").contains(api.state(node));
        } catch (Exception e) {
            return false; // not known yet, or the API was slow: ask again
        }
    }

    private void preemptNotice(String node, int seconds) throws Exception {
        String body = "{\"type\":\"Preempt\",\"resources\":[\"" + node + "\"],\"notBeforeSeconds\":" + seconds + "}";
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + imdsPorts.get(node) + "/fake/events")).POST(HttpRequest.BodyPublishers
                .ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    private String busyBlade(FakeTractorEngine engine) {
        List<String> busy = new ArrayList<>();
        for (int t = 1; t <= TASKS; t++) {
            String b = engine.activeBlade(1, t);
            if (!b.isEmpty() && agents.containsKey(b)) {
                busy.add(b);
            }
        }
        return busy.isEmpty() ? null : busy.get(0);
    }

    private static int activeTask(FakeTractorEngine engine, String blade) {
        for (int t = 1; t <= TASKS; t++) {
            if (engine.activeBlade(1, t).equals(blade)) {
                return t;
            }
        }
        throw new IllegalStateException("no task active on " + blade);
    }
}
