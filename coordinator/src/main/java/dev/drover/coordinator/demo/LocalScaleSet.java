package dev.drover.coordinator.demo;

import dev.drover.coordinator.provision.Instance;
import dev.drover.coordinator.provision.ScaleSet;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A "scale set" whose instances are agent processes on this machine: the demo's stand-in for Azure. Each
 * instance is a real agent with its own fake IMDS (so Spot evictions can be injected the way Azure announces
 * them), and instance deletion stops the agent and everything it started, like deleting the VM. It honours
 * capacity the same way a scale set does: only ever adding instances, deleting exactly the ones named.
 */
public final class LocalScaleSet implements ScaleSet, AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(LocalScaleSet.class);

    /** One local "VM": the agent process, when it started and (once gone) when it stopped. */
    private static final class Vm {
        final String instanceId;
        final String name;
        final Process process;
        final int imdsPort;
        final Instant started;
        volatile Instant stopped;

        Vm(String instanceId, String name, Process process, int imdsPort, Instant started) {
            this.instanceId = instanceId;
            this.name = name;
            this.process = process;
            this.imdsPort = imdsPort;
            this.started = started;
        }
    }

    private final String pool;
    private final Path agentJar;
    private final Path workDir;
    private final String coordinator;
    private final Path caFile;
    private final String token;
    private final Map<String, Vm> vms = new LinkedHashMap<>();
    private final List<Vm> ended = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "local-scale-set");
        t.setDaemon(true);
        return t;
    });
    private int nextId;
    /** Set when the demo stops: no VM starts after it. */
    private boolean closed;

    /** @param caFile the coordinator's CA certificate, which every local agent pins */
    public LocalScaleSet(String pool, Path agentJar, Path workDir, String coordinator, String token, Path caFile) {
        this.caFile = caFile;
        this.pool = pool;
        this.agentJar = agentJar;
        this.workDir = workDir;
        this.coordinator = coordinator;
        this.token = token;
    }

    @Override
    public String describe() {
        return "local scale set " + pool + " (agent processes on this machine)";
    }

    @Override
    public synchronized Future<List<Instance>> instances() {
        reap();
        List<Instance> list = new ArrayList<>();
        for (Vm vm : vms.values()) {
            list.add(new Instance(vm.instanceId, vm.name, "running", "succeeded"));
        }
        return Future.succeededFuture(list);
    }

    @Override
    public Future<Void> setCapacity(int capacity) {
        return onWorker(() -> {
            List<String> started = new ArrayList<>();
            synchronized (this) {
                if (closed) {
                    return; // the demo is stopping: a scale-out queued just before must not start VMs nobody stops
                }
                reap();
                while (vms.size() < capacity) {
                    Vm vm = startVm();
                    vms.put(vm.instanceId, vm);
                    started.add(vm.name);
                }
            }
            LOGGER.atInfo().addKeyValue("pool", pool).addKeyValue("capacity", capacity).addKeyValue("started", started)
                    .log("local instances started");
        });
    }

    @Override
    public Future<Void> delete(List<String> instanceIds) {
        return onWorker(() -> {
            for (String id : instanceIds) {
                Vm vm;
                synchronized (this) {
                    vm = vms.remove(id);
                }
                if (vm != null) {
                    stop(vm, false);
                }
            }
        });
    }

    /**
     * Azure's Spot eviction, as the VM sees it: a Preempt event in its IMDS with {@code notice} to go, then
     * (Delete policy) the VM vanishes at NotBefore with whatever was running on it.
     */
    public boolean preempt(String nodeName, Duration notice) {
        Vm vm;
        synchronized (this) {
            vm = vms.values().stream().filter(v -> v.name.equals(nodeName)).findFirst().orElse(null);
        }
        if (vm == null) {
            return false;
        }
        String body = "{\"type\":\"Preempt\",\"resources\":[\"" + vm.name + "\"],\"notBeforeSeconds\":"
                + notice.toSeconds() + ",\"description\":\"Spot eviction (Drover demo chaos)\"}";
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + vm.imdsPort
                    + "/fake/events")).timeout(Duration.ofSeconds(3)).POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                LOGGER.atWarn().addKeyValue("nodeId", nodeName).log("fake IMDS refused the event: " + r.body());
                return false;
            }
        } catch (IOException e) {
            LOGGER.atWarn().addKeyValue("nodeId", nodeName).log("cannot reach the node's fake IMDS: " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        worker.schedule(() -> {
            synchronized (this) {
                vms.remove(vm.instanceId);
            }
            stop(vm, true);
            LOGGER.atInfo().addKeyValue("nodeId", nodeName).log("evicted: the local VM is gone");
        }, notice.toMillis(), TimeUnit.MILLISECONDS);
        return true;
    }

    /** Node names of instances that are running now. */
    public synchronized List<String> names() {
        reap();
        return vms.values().stream().map(v -> v.name).toList();
    }

    /** Node-minutes used by every instance so far (running ones up to now). */
    public synchronized double nodeMinutes() {
        Instant now = Instant.now();
        double ms = 0;
        for (Vm vm : vms.values()) {
            ms += Duration.between(vm.started, now).toMillis();
        }
        for (Vm vm : ended) {
            ms += Duration.between(vm.started, vm.stopped).toMillis();
        }
        return ms / 60_000.0;
    }

    public synchronized int instancesStarted() {
        return nextId;
    }

    @Override
    public void close() {
        List<Vm> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(vms.values());
            vms.clear();
        }
        all.forEach(vm -> stop(vm, false));
        worker.shutdownNow();
        try {
            worker.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) { // anything a worker task added before it saw the flag
            all = new ArrayList<>(vms.values());
            vms.clear();
        }
        all.forEach(vm -> stop(vm, false));
    }

    private Vm startVm() {
        String id = Integer.toString(nextId++);
        String name = String.format("%s-%04d", pool, nextId);
        Path dir = workDir.resolve("nodes").resolve(name);
        try {
            Files.createDirectories(dir);
            int imdsPort = freePort();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xms8m", "-Xmx64m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + dir.toAbsolutePath(), "-jar", agentJar.toString(),
                    "--coordinator", coordinator, "--node-id", name, "--pool", pool, "--demo-imds-port",
                    Integer.toString(imdsPort), "--local-socket", dir.resolve("agent.sock").toAbsolutePath().toString(),
                    "--state-dir", dir.resolve("state").toAbsolutePath().toString(),
                    "--heartbeat-millis", "1000", "--coordinator-ca-file", caFile.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("agent.log").toFile());
            pb.environment().put("DROVER_ENROLMENT_TOKEN", token);
            return new Vm(id, name, pb.start(), imdsPort, Instant.now());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a local agent for " + name + ": " + e.getMessage(), e);
        }
    }

    /** A VM that stopped by itself (its agent crashed) is gone from the scale set, as on Azure. */
    private void reap() {
        vms.values().removeIf(vm -> {
            if (vm.process.isAlive()) {
                return false;
            }
            vm.stopped = Instant.now();
            ended.add(vm);
            return true;
        });
    }

    /** Deleting the VM: the agent says goodbye (unless the VM is pulled away), then nothing of it remains. */
    private void stop(Vm vm, boolean abrupt) {
        List<ProcessHandle> children = vm.process.descendants().toList();
        if (abrupt) {
            vm.process.destroyForcibly();
        } else {
            vm.process.destroy();
            try {
                vm.process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            vm.process.destroyForcibly();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        synchronized (this) {
            vm.stopped = Instant.now();
            ended.add(vm);
        }
    }

    private Future<Void> onWorker(Runnable work) {
        Promise<Void> done = Promise.promise();
        worker.execute(() -> {
            try {
                work.run();
                done.complete();
            } catch (RuntimeException e) {
                done.fail(e);
            }
        });
        return done.future();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
