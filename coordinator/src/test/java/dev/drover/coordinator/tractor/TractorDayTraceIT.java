package dev.drover.coordinator.tractor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.coordinator.Coordinator;
import dev.drover.coordinator.azure.ArmClient;
import dev.drover.coordinator.azure.ArmScaleSet;
import dev.drover.coordinator.azure.FakeArm;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.TaskRef;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A whole studio day through the real coordinator, compressed to about two minutes (one trace hour = 3.5 s; task
 * lengths in seconds): the scaling loop and the pool actuator against the fake ARM, the Tractor queue source and blade
 * control against the fake engine, and in-process render VMs ({@link SimMachine}: an agent on the real protocol and a
 * blade) whose blades register under FQDNs, upper case, cloud-init aliases and addresses that only the agents' stated
 * host names tell apart. The day: an overnight tail, the morning dailies, three Spot Preempts (one while the engine is
 * down), two session expiries, an afternoon burst and an engine outage of 30 s (garbage first, refusals after), an
 * operator drain, an evening job, then an empty queue. At the end: every task rendered exactly once, none left active
 * on any blade, no VM deleted while the engine showed work on its blade (the fake engine records that), and the pool
 * back at its minimum with no demand.
 */
class TractorDayTraceIT {
    private static final String TOKEN = "day-trace-enrolment-token-0123456789";
    private static final long HOUR_MILLIS = 3500;
    private static final long OUTAGE_MILLIS = 30_000;
    private static final long NOTICE_MILLIS = 4000;
    private static final int MIN_NODES = 1;
    private static final int MAX_NODES = 6;

    private final Vertx vertx = Vertx.vertx();
    private final EventLoopGroup agentLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    private final Map<String, SimMachine> machines = new ConcurrentHashMap<>();
    private final Map<String, String> bladeOf = new ConcurrentHashMap<>();
    private final List<String> deletedByApi = new CopyOnWriteArrayList<>();
    private final Map<String, TaskRef> preempted = new ConcurrentHashMap<>();
    private final List<Long> jobs = new CopyOnWriteArrayList<>();
    private final Random random = new Random(13);
    private final HttpClient http = HttpClient.newHttpClient();
    private FakeTractorEngine engine;
    private FakeArm arm;
    private Coordinator coordinator;
    private int tasks;
    private volatile String outageVictim;

    @AfterEach
    void stop() throws Exception {
        later.shutdownNow();
        for (SimMachine m : machines.values()) {
            m.close();
        }
        if (coordinator != null) {
            coordinator.stop().await();
        }
        agentLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        vertx.close().await();
    }

    @Test
    void aWholeDayOfBurstsEvictionsAndAnEngineOutageLeavesNoTaskStrandedAndNoBusyVmDeleted() throws Exception {
        engine = new FakeTractorEngine(vertx);
        int enginePort = engine.listen(0).await();
        AtomicInteger gatewayPort = new AtomicInteger();
        arm = new FakeArm(vertx, "00000000-0000-0000-0000-0000000000da", "rg-render", "render-vmss", "render",
                Duration.ofMillis(300), new FakeArm.Hooks() {
                    @Override
                    public void created(String instanceId, String computerName) {
                        startMachine(Integer.parseInt(instanceId), computerName, gatewayPort.get(), enginePort);
                    }

                    @Override
                    public void deleted(String instanceId, String computerName, boolean evicted) {
                        if (!evicted) {
                            deletedByApi.add(computerName);
                            engine.vmDeleted(computerName, bladeOf.get(computerName));
                        }
                        stopMachine(computerName);
                    }
                });
        String armEndpoint = arm.listen().await();
        CoordinatorConfig config = new CoordinatorConfig(
                new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null, null),
                new CoordinatorConfig.Http("127.0.0.1", 0), new CoordinatorConfig.Liveness(500, 10, 3, 10_000),
                new CoordinatorConfig.Enrolment(List.of(TOKEN), null),
                new CoordinatorConfig.Tractor("127.0.0.1", enginePort, "drover", 250, 5000, null, null, null, 2),
                List.of(new CoordinatorConfig.Pool("spot", "Standard_D4s_v5", "", "spot", 1, List.of("blender"),
                        MIN_NODES, MAX_NODES, 0.10, null, null, 4, 50, new CoordinatorConfig.ScaleSet("azure",
                                "00000000-0000-0000-0000-0000000000da", "rg-render", "render-vmss", "uniform"))),
                Map.of(), null, new CoordinatorConfig.Scaling(60, 180, 100, 600, 60),
                new CoordinatorConfig.Azure(armEndpoint, null, 500));
        coordinator = new Coordinator(config, Clock.systemUTC(), (pool, vx, gw) -> new ArmScaleSet(
                new ArmClient(vx, config.azure(), () -> Future.succeededFuture("day-trace-token")), pool.scaleSet()))
                .start().await();
        gatewayPort.set(coordinator.gatewayPort());

        // dawn: an empty queue, the pool at its minimum
        await().atMost(Duration.ofSeconds(60)).until(() -> arm.instanceCount() == MIN_NODES
                && machines.values().stream().allMatch(SimMachine::connected));

        long start = System.currentTimeMillis();
        at(start, 0.5, () -> job(6, 2000, 5000));            // the overnight renders' tail
        at(start, 7, () -> job(20, 1500, 3000));             // the morning dailies
        at(start, 9, this::preemptABusyNode);                // Spot takes a VM back mid-task
        at(start, 11, engine::expireSessions);               // the engine's session timeout
        at(start, 12, () -> job(30, 3000, 8000));            // the afternoon burst
        at(start, 12.5, this::preemptABusyNode);             // another Preempt while every node is busy
        at(start, 13, () -> {                                 // the engine restarts badly and goes away for 30 s
            // the VM evicted during the outage: chosen while the engine is up, busy long enough that its task's
            // exit report cannot reach the engine before the engine goes away
            Busy victim = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> busy(2500), java.util.Objects::nonNull);
            engine.garbageNext(40);
            Thread.sleep(1000);
            engine.down().await();
            later.schedule(() -> {
                engine.up().await();
                engine.failNext(5); // 500 pages while it warms up
            }, OUTAGE_MILLIS, TimeUnit.MILLISECONDS);
            outageVictim = preempt(victim); // ...and a VM evicted while the engine is down: no NIMBY, no eject
            return null;
        });
        at(start, 21.5, () -> job(12, 1500, 4000));          // the evening job
        String drained = at(start, 22, this::drainABusyNodeAsAnOperator);
        at(start, 23, engine::expireSessions);
        at(start, 23.5, () -> job(4, 1000, 2000));           // a last small job; then the queue stays empty

        // every task rendered, then the pool back at its minimum with nothing counted as demand
        awaitOrExplain(Duration.ofSeconds(300), () -> engine.count("done") == tasks);
        awaitOrExplain(Duration.ofSeconds(120), () -> arm.instanceCount() == MIN_NODES && poolDemandNodes() == 0);

        assertThat(engine.violations()).as("VMs deleted while the engine showed work on their blades").isEmpty();
        assertThat(engine.active()).as("tasks left active on some blade").isEmpty();
        assertThat(engine.count("error")).isZero();
        assertThat(engine.count("ready")).isZero();
        for (long jid : jobs) {
            for (int tid = 1; engine.hasTask(jid, tid); tid++) {
                assertThat(engine.completions(jid, tid)).as("task %d/%d rendered exactly once", jid, tid).isEqualTo(1);
            }
        }
        // the three evicted blades: NIMBY'd and ejected (the one evicted during the outage once the engine was back);
        // the task each was running finished on another blade
        assertThat(preempted).hasSize(3);
        preempted.forEach((vm, task) -> {
            String blade = bladeOf.get(vm);
            await().atMost(Duration.ofSeconds(30)).until(() -> engine.controlCalls().contains("ejectall " + blade));
            assertThat(engine.controlCalls()).as(vm).contains("nimby " + blade + " 1");
            List<String> ranOn = engine.ranOn(task.jid(), task.tid());
            assertThat(ranOn).as("%s ran %s", vm, task).contains(blade);
            if (vm.equals(outageVictim)) {
                // it could not report while the engine was down, and its VM was gone before the engine came back:
                // the task was stranded active on a dead blade until Drover ejected it, then ran elsewhere
                assertThat(ranOn.get(ranOn.size() - 1)).as("%s's task finished elsewhere", vm).isNotEqualTo(blade);
            } // the others may have finished on their blade inside the notice, before ejectall (done exactly once)
        });
        assertThat(outageVictim).isNotNull();
        // the operator's drain waited for its task, then deleted that very VM and delisted its blade
        assertThat(drained).isNotNull();
        assertThat(deletedByApi).contains(drained).isNotEmpty();
        for (String vm : deletedByApi) {
            String blade = bladeOf.get(vm);
            assertThat(engine.controlCalls()).as(vm).contains("nimby " + blade + " 1");
            await().atMost(Duration.ofSeconds(30)).until(() -> engine.controlCalls().contains("delist " + blade));
        }
        assertThat(arm.capacityDecreases()).as("never scaled in by lowering capacity").isZero();
        assertThat(arm.peakInstances()).isGreaterThan(MIN_NODES).isLessThanOrEqualTo(MAX_NODES + 3);
        assertThat(engine.requests().getOrDefault("monitor?login", 0L)).as("logged in again after each expiry")
                .isGreaterThanOrEqualTo(3);
    }

    /**
     * Waits for {@code done}; on timeout fails with the state of every unfinished task, machine and blade, so a run
     * that fails on someone else's machine says where the day got stuck rather than only that it did.
     */
    private void awaitOrExplain(Duration atMost, java.util.concurrent.Callable<Boolean> done) {
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(500)).until(done);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\n" + explain(), e);
        }
    }

    private String explain() {
        StringBuilder s = new StringBuilder("tasks: ").append(tasks).append(" total, done ")
                .append(engine.count("done")).append(", ready ").append(engine.count("ready")).append(", active ")
                .append(engine.count("active")).append(", error ").append(engine.count("error")).append('\n');
        for (long jid : jobs) {
            for (int tid = 1; engine.hasTask(jid, tid); tid++) {
                if (!"done".equals(engine.taskState(jid, tid))) {
                    s.append("  task ").append(jid).append('/').append(tid).append(' ')
                            .append(engine.taskState(jid, tid)).append(" on ").append(engine.activeBlade(jid, tid))
                            .append(", ran on ").append(engine.ranOn(jid, tid)).append('\n');
                }
            }
        }
        s.append("VMs: ").append(arm.instanceCount()).append(", demand nodes ").append(poolDemandNodes())
                .append(", preempted ").append(preempted.keySet()).append(", outage victim ").append(outageVictim)
                .append(", deleted ").append(deletedByApi).append('\n');
        machines.values().forEach(m -> s.append("  ").append(m.computerName).append(" blade ")
                .append(bladeOf.get(m.computerName)).append(": connected ").append(m.connected()).append(", state ")
                .append(m.state()).append(", running ").append(m.runningTask()).append(", nimby ")
                .append(engine.nimby(bladeOf.get(m.computerName))).append('\n'));
        s.append("engine control calls: ").append(engine.controlCalls());
        return s.toString();
    }

    /** Runs {@code step} at trace hour {@code hour} (waiting until then) and returns what it returns. */
    private <T> T at(long start, double hour, java.util.concurrent.Callable<T> step) throws Exception {
        long wait = start + Math.round(hour * HOUR_MILLIS) - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
        return step.call();
    }

    private void at(long start, double hour, Runnable step) throws Exception {
        at(start, hour, () -> {
            step.run();
            return null;
        });
    }

    /** A new job of {@code n} tasks, each holding its blade for a length in [min, max) ms. */
    private void job(int n, int minMillis, int maxMillis) {
        long jid = jobs.size() + 1;
        jobs.add(jid);
        for (int tid = 1; tid <= n; tid++) {
            int millis = minMillis + random.nextInt(maxMillis - minMillis);
            engine.addTask(jid, tid, "blender", "ready", List.of("sim-render", String.valueOf(millis)));
        }
        tasks += n;
    }

    /** A machine and the task it was running when chosen. */
    private record Busy(SimMachine machine, TaskRef task) {
    }

    /** A Preempt for a busy VM: its notice now, the VM gone when the notice runs out. */
    private String preemptABusyNode() {
        // generous: on a loaded machine the queue may be between bursts for a while
        return preempt(await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> busy(0), java.util.Objects::nonNull));
    }

    private String preempt(Busy victim) {
        preempted.put(victim.machine().computerName, victim.task());
        victim.machine().preemptNotice(System.currentTimeMillis() + NOTICE_MILLIS);
        later.schedule(() -> arm.preempt(victim.machine().computerName), NOTICE_MILLIS, TimeUnit.MILLISECONDS);
        return victim.machine().computerName;
    }

    /** A live machine (see {@link #pick}) running a task with at least {@code minRemainingMillis} to go, or null. */
    private Busy busy(long minRemainingMillis) {
        for (SimMachine m : live()) {
            TaskRef task = m.runningTask(); // read once: the task may end at any moment
            if (task != null && m.remainingMillis() >= minRemainingMillis) {
                return new Busy(m, task);
            }
        }
        return null;
    }

    private String drainABusyNodeAsAnOperator() throws Exception {
        // a live node (busy if one is): right after a scale-in the only one left may still be on its way
        SimMachine m = await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(50))
                .until(this::pick, java.util.Objects::nonNull);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + coordinator.httpPort() + "/api/nodes/" + m.computerName + "/drain")).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
        return m.computerName;
    }

    /** A connected VM with a task running and no eviction or drain, else any connected one that is not leaving. */
    private SimMachine pick() {
        List<SimMachine> live = live();
        return live.stream().filter(SimMachine::busy).findFirst().orElse(live.isEmpty() ? null : live.get(0));
    }

    private List<SimMachine> live() {
        List<SimMachine> live = new ArrayList<>(machines.values().stream().filter(m -> m.connected()
                && m.state() != AgentState.EVICTING && m.state() != AgentState.DRAINING
                && m.state() != AgentState.DRAINED && !preempted.containsKey(m.computerName)).toList());
        Collections.shuffle(live, random);
        return live;
    }

    private int poolDemandNodes() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + coordinator.httpPort() + "/api/pools")).build(), HttpResponse.BodyHandlers.ofString());
            JsonObject pool = new JsonObject(r.body()).getJsonArray("pools").getJsonObject(0);
            return pool.getInteger("demandNodes");
        } catch (Exception e) {
            return -1; // not answered yet: ask again
        }
    }

    /**
     * A new VM. Its blade registers the way sites' blades do, by turns: an Azure FQDN, upper case, a cloud-init alias
     * (found only through the agent's stated names), or the machine's own address (found only through the agent's
     * stated addresses: every agent here connects from 127.0.0.1, which proves nothing).
     */
    private void startMachine(int index, String computerName, int gatewayPort, int enginePort) {
        String address = "10.20." + (index / 250) + "." + (index % 250 + 1);
        String blade;
        HostNames names;
        switch (index % 4) {
            case 0 -> {
                blade = computerName + ".internal.cloudapp.net";
                names = new HostNames(List.of(computerName, blade), List.of(address));
            }
            case 1 -> {
                blade = computerName.toUpperCase(java.util.Locale.ROOT);
                names = new HostNames(List.of(computerName), List.of(address));
            }
            case 2 -> {
                blade = "rndr-" + index + ".studio.lan";
                names = new HostNames(List.of("rndr-" + index, blade), List.of(address));
            }
            default -> {
                blade = address;
                names = new HostNames(List.of(computerName), List.of(address));
            }
        }
        bladeOf.put(computerName, blade);
        machines.put(computerName, new SimMachine(computerName, blade, names, "spot", TOKEN, agentLoop, gatewayPort,
                enginePort));
    }

    private void stopMachine(String computerName) {
        SimMachine m = machines.remove(computerName);
        if (m != null) {
            try {
                m.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
