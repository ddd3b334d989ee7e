package dev.drover.agent.mounts;

import dev.drover.agent.config.MountConfig;
import dev.drover.protocol.MountHealth;
import dev.drover.protocol.MountState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts the configured shared storage at boot and keeps checking it. Each mount has its own scheduler and
 * its own probe thread: a hung NFS server blocks whatever thread touches it, forever, so probes run off the
 * agent's loops with a timeout, and a probe still stuck is reported rather than joined by another. A stale
 * handle is remounted — but never while a task runs, because unmounting under a render breaks it.
 */
public final class MountManager implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(MountManager.class);

    private final List<Watched> mounts = new ArrayList<>();
    private final RpcNullProbe rpc;
    private final Mounter mounter;
    private final BooleanSupplier tasksRunning;

    /** @param mounter mounts here ({@link LocalMounter}) or through the root helper */
    public MountManager(List<MountConfig> configs, String nodeId, RpcNullProbe rpc, Mounter mounter,
            BooleanSupplier tasksRunning) {
        this.rpc = rpc;
        this.mounter = mounter;
        this.tasksRunning = tasksRunning;
        for (MountConfig c : configs) {
            String server = c.backend().equals("nfs") ? ServerChoice.pick(nodeId, c.servers()) : "";
            mounts.add(new Watched(c, server));
        }
    }

    public void start() {
        for (Watched w : mounts) {
            w.scheduler.execute(w::ensureMounted);
        }
    }

    /** Health of every mount, for the next heartbeat. */
    public List<MountHealth> health() {
        List<MountHealth> list = new ArrayList<>(mounts.size());
        for (Watched w : mounts) {
            list.add(w.health);
        }
        return list;
    }

    @Override
    public void close() {
        for (Watched w : mounts) {
            w.scheduler.shutdownNow();
            w.prober.shutdownNow();
        }
    }

    /** One mount: its config, chosen server, current health and the threads that look after it. */
    private final class Watched {
        final MountConfig config;
        final String server;
        final ScheduledExecutorService scheduler;
        final ExecutorService prober;
        volatile MountHealth health;
        Future<MountHealth> runningProbe;
        long probeStartedNanos;

        Watched(MountConfig config, String server) {
            this.config = config;
            this.server = server;
            this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("drover-mount-" + config.name()));
            this.prober = Executors.newSingleThreadExecutor(daemon("drover-probe-" + config.name()));
            this.health = new MountHealth(config.mountPoint(), MountState.NOT_MOUNTED, 0, "not mounted yet");
        }

        void ensureMounted() {
            try {
                if (!MountTable.isMounted(config.mountPoint()) && !mount()) {
                    scheduler.schedule(this::ensureMounted, config.probeIntervalMillis(), TimeUnit.MILLISECONDS);
                    return;
                }
                probe();
                scheduler.scheduleWithFixedDelay(this::probe, config.probeIntervalMillis(),
                        config.probeIntervalMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Checks the server answers, then mounts. Returns whether the mount is now in place. */
        boolean mount() throws InterruptedException {
            if (config.backend().equals("nfs")) {
                RpcNullProbe.Result r = rpc.probe(server, RpcNullProbe.NFS_PORT, config.nfsMajorVersion(),
                        config.probeTimeoutMillis()).join();
                if (!r.ok()) {
                    set(MountState.UNREACHABLE, 0, "server " + server + ": " + r.detail());
                    return false;
                }
            }
            CommandRunner.Outcome outcome = mounter.mount(config, server);
            if (!outcome.ok()) {
                set(MountState.NOT_MOUNTED, 0, "mount failed (" + outcome.exitCode() + "): " + outcome.output());
                return false;
            }
            LOGGER.atInfo().addKeyValue("mountPoint", config.mountPoint()).addKeyValue("server", server)
                    .addKeyValue("command", String.join(" ", MountCommand.mount(config, server))).log("mounted shared storage");
            return true;
        }

        void probe() {
            try {
                if (runningProbe != null && !runningProbe.isDone()) {
                    long stuck = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - probeStartedNanos);
                    set(MountState.UNREACHABLE, (int) Math.min(Integer.MAX_VALUE, stuck),
                            "probe hung for " + stuck + " ms (server not answering)");
                    return;
                }
                probeStartedNanos = System.nanoTime();
                runningProbe = prober.submit(this::statAndRead);
                MountHealth result;
                try {
                    result = runningProbe.get(config.probeTimeoutMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    result = new MountHealth(config.mountPoint(), MountState.UNREACHABLE, config.probeTimeoutMillis(),
                            "no answer within " + config.probeTimeoutMillis() + " ms");
                } catch (ExecutionException e) {
                    result = new MountHealth(config.mountPoint(), MountState.UNREACHABLE, 0,
                            String.valueOf(e.getCause()));
                }
                MountHealth previous = health;
                health = result;
                if (result.state() != previous.state()) {
                    LOGGER.atInfo().addKeyValue("mountPoint", config.mountPoint()).addKeyValue("state", result.state())
                            .addKeyValue("detail", result.detail()).log("mount health changed");
                }
                if (result.state() == MountState.STALE || result.state() == MountState.NOT_MOUNTED) {
                    recover(result.state(), result.state() != previous.state());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Runs on the probe thread, which may block forever on a dead server. */
        MountHealth statAndRead() {
            long start = System.nanoTime();
            try {
                if (!MountTable.isMounted(config.mountPoint())) {
                    return new MountHealth(config.mountPoint(), MountState.NOT_MOUNTED, 0, "not a mount point");
                }
                Path root = Path.of(config.mountPoint());
                Files.readAttributes(root, BasicFileAttributes.class);
                if (!config.probeFile().isEmpty()) {
                    try (InputStream in = Files.newInputStream(root.resolve(config.probeFile()))) {
                        in.readNBytes(4096);
                    }
                }
                int millis = (int) TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                boolean slow = millis > config.probeTimeoutMillis() / 2;
                return new MountHealth(config.mountPoint(), slow ? MountState.SLOW : MountState.OK, millis,
                        slow ? "probe took " + millis + " ms" : "");
            } catch (IOException e) {
                int millis = (int) TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                boolean stale = String.valueOf(e.getMessage()).contains("Stale file handle");
                return new MountHealth(config.mountPoint(), stale ? MountState.STALE : MountState.UNREACHABLE, millis,
                        String.valueOf(e.getMessage()));
            }
        }

        /** Mounts again after a stale handle or a vanished mount, unless a task runs (it may hold files open). */
        void recover(MountState state, boolean news) throws InterruptedException {
            if (tasksRunning.getAsBoolean()) {
                (news ? LOGGER.atWarn() : LOGGER.atDebug()).addKeyValue("mountPoint", config.mountPoint()).addKeyValue("state", state)
                        .log("mount needs recovery, but a task is running: leaving it until the task ends");
                return;
            }
            LOGGER.atWarn().addKeyValue("mountPoint", config.mountPoint()).addKeyValue("state", state)
                    .log("recovering mount");
            if (state == MountState.STALE) {
                mounter.unmount(config);
            }
            if (mount()) {
                health = statAndRead();
            }
        }

        void set(MountState state, int millis, String detail) {
            health = new MountHealth(config.mountPoint(), state, millis, detail.length() > 1000
                    ? detail.substring(0, 1000) : detail);
            LOGGER.atWarn().addKeyValue("mountPoint", config.mountPoint()).addKeyValue("state", state)
                    .log(detail);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
