package dev.drover.agent.helper;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drover.agent.config.MountConfig;
import dev.drover.agent.local.ChannelIo;
import dev.drover.agent.mounts.CommandRunner;
import dev.drover.agent.mounts.LocalMounter;
import dev.drover.agent.mounts.Mounter;
import dev.drover.agent.runtask.TaskHandle;
import dev.drover.agent.runtask.TaskStarter;
import dev.drover.agent.session.Backoff;
import dev.drover.protocol.TaskRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's end of the root helper's socket: mounts and task starts/signals go there when the agent runs as
 * an unprivileged user. One connection; when it breaks (the helper restarted) pending requests fail, the helper
 * stops the tasks it started for it, and this side reconnects with capped exponential backoff and jitter. A task
 * whose exit the helper could not tell is settled when its process is seen gone, through the task ledger as
 * always (drover-run's own report usually arrives first).
 */
public final class HelperClient implements Mounter, TaskStarter, AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(HelperClient.class);
    private static final long REPLY_TIMEOUT_MILLIS = 30_000;

    private final Path socket;
    private final Backoff backoff;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Map<Long, HelperTaskHandle> tasks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService reconnects = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "drover-helper-reconnect");
        t.setDaemon(true);
        return t;
    });
    private SocketChannel channel;
    private OutputStream out;
    private boolean reconnectScheduled;
    private volatile boolean closed;

    public HelperClient(Path socket, long initialDelayMillis, long maxDelayMillis) {
        this.socket = socket;
        this.backoff = new Backoff(initialDelayMillis, maxDelayMillis, new java.util.Random());
    }

    /** Connects, trying until {@code within} has passed (the helper may still be starting); false if it did not. */
    public boolean connect(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                ensureConnected();
                return true;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    LOGGER.atWarn().addKeyValue("socket", socket).log("helper not reachable: " + e.getMessage()
                            + "; mounts and tasks wait for it");
                    scheduleReconnect();
                    return false;
                }
                Thread.sleep(Math.max(50, backoff.nextDelayMillis()));
            }
        }
    }

    private synchronized OutputStream ensureConnected() throws IOException {
        if (closed) {
            throw new IOException("helper client closed");
        }
        if (channel != null) {
            return out;
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot connect to the helper at " + socket + ": " + e.getMessage(), e);
        }
        channel = ch;
        out = ChannelIo.out(ch);
        backoff.reset();
        Thread reader = new Thread(() -> read(ch), "drover-helper-reader");
        reader.setDaemon(true);
        reader.start();
        LOGGER.atInfo().addKeyValue("socket", socket).log("connected to the helper");
        return out;
    }

    private void read(SocketChannel ch) {
        try (InputStream in = new java.io.BufferedInputStream(ChannelIo.in(ch), 8192)) {
            byte[] line;
            while ((line = HelperServer.readLine(in)) != null) {
                JsonNode n = HelperProtocol.JSON.readTree(new String(line, StandardCharsets.UTF_8));
                long id = n.path("id").asLong();
                if ("exited".equals(n.path("event").asText())) {
                    HelperTaskHandle h = tasks.remove(id);
                    if (h != null) {
                        h.exited(n.path("exitCode").asInt(TaskHandle.EXIT_UNKNOWN));
                    }
                    continue;
                }
                CompletableFuture<JsonNode> f = pending.remove(id);
                if (f != null) {
                    f.complete(n);
                } else if (!n.path("ok").asBoolean()) {
                    LOGGER.atWarn().log("helper: " + n.path("error").asText());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOGGER.atDebug().log("helper connection read: " + e.getMessage());
        }
        lost(ch);
    }

    private void lost(SocketChannel ch) {
        synchronized (this) {
            if (channel != ch) {
                return;
            }
            channel = null;
            out = null;
        }
        try {
            ch.close();
        } catch (IOException e) {
            // gone anyway
        }
        if (!closed) {
            LOGGER.atWarn().addKeyValue("socket", socket).addKeyValue("tasks", tasks.size())
                    .log("helper connection lost; reconnecting (the helper stops the tasks it ran for us)");
        }
        IOException why = new IOException("helper connection lost");
        pending.values().forEach(f -> f.completeExceptionally(why));
        pending.clear();
        for (Long id : List.copyOf(tasks.keySet())) {
            HelperTaskHandle h = tasks.remove(id);
            if (h != null) {
                h.lost();
            }
        }
        scheduleReconnect();
    }

    private synchronized void scheduleReconnect() {
        if (closed || reconnectScheduled || channel != null) {
            return;
        }
        reconnectScheduled = true;
        reconnects.schedule(() -> {
            synchronized (this) {
                reconnectScheduled = false;
            }
            try {
                ensureConnected();
            } catch (IOException e) {
                scheduleReconnect();
            }
        }, Math.max(50, backoff.nextDelayMillis()), TimeUnit.MILLISECONDS);
    }

    /** Sends a request and waits for its reply (ok or not); IOException when there is none. */
    private JsonNode call(LongFunction<String> request, long timeoutMillis) throws IOException, InterruptedException {
        CompletableFuture<JsonNode> reply = send(request);
        try {
            return reply.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no answer from the helper within " + timeoutMillis + " ms");
        }
    }

    private CompletableFuture<JsonNode> send(LongFunction<String> request) throws IOException {
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            OutputStream o = ensureConnected();
            synchronized (o) {
                o.write((request.apply(id) + "\n").getBytes(StandardCharsets.UTF_8));
                o.flush();
            }
        } catch (IOException e) {
            pending.remove(id);
            throw e;
        }
        return reply;
    }

    // ---- Mounter -------------------------------------------------------------------------------------------

    @Override
    public CommandRunner.Outcome mount(MountConfig mount, String server) throws InterruptedException {
        return outcome(id -> HelperProtocol.mount(id, mount.name(), server));
    }

    @Override
    public CommandRunner.Outcome unmount(MountConfig mount) throws InterruptedException {
        return outcome(id -> HelperProtocol.unmount(id, mount.name()));
    }

    private CommandRunner.Outcome outcome(LongFunction<String> request) throws InterruptedException {
        try {
            JsonNode r = call(request, LocalMounter.MOUNT_TIMEOUT_MILLIS + REPLY_TIMEOUT_MILLIS);
            if (!r.path("ok").asBoolean()) {
                return new CommandRunner.Outcome(-1, "helper refused: " + r.path("error").asText());
            }
            return new CommandRunner.Outcome(r.path("exitCode").asInt(-1), r.path("output").asText());
        } catch (IOException e) {
            return new CommandRunner.Outcome(-1, "helper: " + e.getMessage());
        }
    }

    // ---- TaskStarter ---------------------------------------------------------------------------------------

    @Override
    public TaskHandle start(TaskRef task, List<String> command, Map<String, String> env, String workingDir)
            throws IOException {
        HelperTaskHandle handle = new HelperTaskHandle(this);
        long[] idHolder = new long[1];
        JsonNode r;
        try {
            r = call(id -> {
                idHolder[0] = id;
                tasks.put(id, handle); // before the request: its exit may come before its reply
                return HelperProtocol.start(id, task.jid() + "/" + task.tid() + "/" + task.cid(), command, env,
                        workingDir);
            }, REPLY_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tasks.remove(idHolder[0]);
            throw new IOException("interrupted while the helper started the task", e);
        } catch (IOException e) {
            tasks.remove(idHolder[0]);
            throw e;
        }
        if (!r.path("ok").asBoolean()) {
            tasks.remove(idHolder[0]);
            throw new IOException("helper refused: " + r.path("error").asText());
        }
        handle.started(r.path("pid").asLong(), r.path("startTicks").asLong(-1));
        return handle;
    }

    @Override
    public void signal(long pid, long startTicks, boolean kill) {
        try {
            send(id -> HelperProtocol.signal(id, pid, startTicks, kill)).thenAccept(r -> {
                if (!r.path("ok").asBoolean()) {
                    LOGGER.atDebug().addKeyValue("pid", pid).log("helper did not signal: " + r.path("error").asText());
                }
            });
        } catch (IOException e) {
            LOGGER.atWarn().addKeyValue("pid", pid).log("cannot signal through the helper: " + e.getMessage());
        }
    }

    @Override
    public boolean switchesUserItself() {
        return true;
    }

    @Override
    public void close() {
        closed = true;
        reconnects.shutdownNow();
        SocketChannel ch;
        synchronized (this) {
            ch = channel;
        }
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
