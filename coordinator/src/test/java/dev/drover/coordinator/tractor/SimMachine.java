package dev.drover.coordinator.tractor;

import dev.drover.protocol.Ack;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainMode;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.Priority;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import dev.drover.protocol.Welcome;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One simulated render VM for scenario tests, in-process: an agent written from PROTOCOL.md (Hello, heartbeats with
 * the host-names extension, reliable TaskStarted/TaskFinished/DrainState/EvictionNotice kept until acknowledged,
 * Drain answered, Ping answered) on a real connection to the gateway, and a one-slot tractor-blade written from
 * specs/tractor-and-cyclecloud.md §2.2–2.3 ({@code nextcmd} with back-off, {@code bpulse} while busy, {@code exitcode}
 * kept and retried until the engine takes it, as a blade does every 30 s — here every 0.5 s). A task's command is
 * {@code ["sim-render", millis]}: the blade holds it that long instead of starting a process. The blade registers
 * under {@code bladeHost}, which may be a name only the agent's stated host names or addresses can tell.
 */
final class SimMachine implements AutoCloseable {
    final String computerName;
    final String bladeHost;
    private final HostNames hostNames;
    private final String token;
    private final String pool;
    private final String engine;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread bladeThread;
    private final String streamId = UUID.randomUUID().toString();
    private final TreeMap<Long, Reliable> outbox = new TreeMap<>();
    private long nextSeq = 1;
    private long commandsApplied;
    private final EventLoopGroup group;
    private final int gatewayPort;
    private volatile String sessionId = "";
    private volatile String commandStream = "";
    private volatile String credential = "";
    private volatile Channel channel;
    private volatile AgentState state = AgentState.IDLE;
    private volatile TaskRef running;
    private volatile long runningUntil;
    private volatile boolean stopped;
    private volatile boolean connected;

    SimMachine(String computerName, String bladeHost, HostNames hostNames, String pool, String token,
            EventLoopGroup group, int gatewayPort, int enginePort) {
        this.computerName = computerName;
        this.bladeHost = bladeHost;
        this.hostNames = hostNames;
        this.pool = pool;
        this.token = token;
        this.engine = "http://127.0.0.1:" + enginePort + "/Tractor/";
        this.group = group;
        this.gatewayPort = gatewayPort;
        connect();
        bladeThread = new Thread(this::bladeLoop, "sim-blade-" + computerName);
        bladeThread.setDaemon(true);
        bladeThread.start();
    }

    /**
     * Connects, and after any close reconnects with jittered backoff, resuming its session with the credential its
     * first Welcome issued — as PROTOCOL.md's agent does. (A double that never reconnected turned one missed
     * heartbeat on a loaded machine into a lost node for the rest of the day.)
     */
    private void connect() {
        if (stopped) {
            return;
        }
        new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE, new AgentHandler());
            }
        }).connect("127.0.0.1", gatewayPort).addListener(f -> {
            if (f.isSuccess()) {
                channel = ((io.netty.channel.ChannelFuture) f).channel();
                if (stopped) {
                    channel.close(); // closed before it connected
                }
            } else {
                reconnectLater();
            }
        });
    }

    private void reconnectLater() {
        if (!stopped) {
            group.schedule(this::connect, 250 + java.util.concurrent.ThreadLocalRandom.current().nextLong(750),
                    TimeUnit.MILLISECONDS);
        }
    }

    boolean connected() {
        return connected;
    }

    boolean busy() {
        return running != null;
    }

    /** How long the blade's current task still has to run, in ms (0 when idle). */
    long remainingMillis() {
        return running == null ? 0 : Math.max(0, runningUntil - System.currentTimeMillis());
    }

    /** The task the blade is running now, or null. */
    TaskRef runningTask() {
        return running;
    }

    AgentState state() {
        return state;
    }

    // ---- agent side ------------------------------------------------------------------------------

    /** Scheduled Events showed a Preempt for this VM (what the real agent relays at once). */
    synchronized void preemptNotice(long notBeforeMillis) {
        state = AgentState.EVICTING;
        send(seq -> new EvictionNotice(seq, UUID.randomUUID().toString().toUpperCase(), EvictionType.PREEMPT,
                notBeforeMillis, "Virtual machine is being preempted", System.currentTimeMillis()));
    }

    private synchronized void send(java.util.function.LongFunction<Reliable> make) {
        Reliable r = make.apply(nextSeq++);
        outbox.put(r.seq(), r);
        Channel c = channel;
        if (connected && c != null) {
            c.writeAndFlush(r);
        }
    }

    private synchronized void taskStarted(TaskRef t) {
        running = t;
        send(seq -> new TaskStarted(seq, t, System.currentTimeMillis(), 4242));
    }

    private synchronized void taskFinished(TaskRef t, long millis) {
        running = null;
        send(seq -> new TaskFinished(seq, t, 0, 0, millis, -1, System.currentTimeMillis()));
        if (state == AgentState.DRAINING) {
            state = AgentState.DRAINED;
            send(seq -> new DrainState(seq, DrainPhase.DRAINED, 0));
        }
    }

    private synchronized void onCommand(ChannelHandlerContext ctx, Reliable command) {
        if (command.seq() > commandsApplied) {
            commandsApplied = command.seq();
            if (command instanceof Drain d && d.mode() != DrainMode.CANCEL) {
                if (state != AgentState.EVICTING) {
                    state = running == null ? AgentState.DRAINED : AgentState.DRAINING;
                }
                int n = running == null ? 0 : 1;
                send(seq -> new DrainState(seq, DrainPhase.DRAINING, n));
                if (n == 0) {
                    send(seq -> new DrainState(seq, DrainPhase.DRAINED, 0));
                }
            } else if (command instanceof Drain) {
                state = running == null ? AgentState.IDLE : AgentState.BUSY;
                send(seq -> new DrainState(seq, DrainPhase.CANCELLED, 0));
            } else if (command instanceof RunTask run) { // only the built-in queue sends these; refuse
                send(seq -> new TaskFinished(seq, run.task(), TaskFinished.NOT_STARTED, 0, 0, -1,
                        System.currentTimeMillis()));
            } else if (!(command instanceof CancelTask)) {
                throw new IllegalStateException("unexpected command " + command);
            }
        }
        ctx.writeAndFlush(new Ack(commandsApplied));
    }

    private synchronized Heartbeat heartbeat(boolean first) {
        AgentState s = state == AgentState.IDLE && running != null ? AgentState.BUSY : state;
        Heartbeat hb = new Heartbeat(System.currentTimeMillis(), s, running == null ? 0 : 1, HostMetrics.UNKNOWN,
                List.of(), false, 0);
        return first ? hb.withHostNames(hostNames) : hb;
    }

    private final class AgentHandler extends SimpleChannelInboundHandler<Message> {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            NodeIdentity id = new NodeIdentity(computerName, UUID.randomUUID().toString(), computerName, "render-vmss",
                    "", "Standard_D4s_v5", Priority.SPOT, "local", "", pool);
            long applied;
            synchronized (SimMachine.this) {
                applied = commandsApplied;
            }
            ctx.writeAndFlush(new Hello(1, 1, "scenario", id, 1, 0, token, sessionId, applied)
                    .withStreams(streamId, commandStream, applied).withProof(credential, ""));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message m) {
            if (m instanceof Welcome w) {
                synchronized (SimMachine.this) {
                    if (!w.commandStreamId().equals(commandStream)) {
                        commandsApplied = 0; // a new command stream numbers from 1
                    }
                    sessionId = w.sessionId();
                    commandStream = w.commandStreamId();
                    if (!w.nodeCredential().isEmpty()) {
                        credential = w.nodeCredential();
                    }
                    connected = true;
                    outbox.values().forEach(ctx::write);
                    ctx.writeAndFlush(heartbeat(true));
                }
                var beats = ctx.executor().scheduleAtFixedRate(() -> ctx.writeAndFlush(heartbeat(false)),
                        w.heartbeatIntervalMillis(), w.heartbeatIntervalMillis(), TimeUnit.MILLISECONDS);
                ctx.channel().closeFuture().addListener(c -> beats.cancel(false));
            } else if (m instanceof Ack a) {
                synchronized (SimMachine.this) {
                    outbox.headMap(a.seq(), true).clear();
                }
            } else if (m instanceof Ping p) {
                ctx.writeAndFlush(new Pong(p.nonce()));
            } else if (m instanceof Reliable r) {
                onCommand(ctx, r);
            } else if (!(m instanceof Pong)) {
                throw new IllegalStateException(computerName + ": unexpected " + m);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connected = false;
            reconnectLater();
        }
    }

    // ---- blade side ------------------------------------------------------------------------------

    private void bladeLoop() {
        long sleep = 100;
        try {
            while (!stopped) {
                try {
                    HttpResponse<String> r = post("task", Map.of("q", "nextcmd"));
                    if (r.statusCode() == 200) {
                        run(new io.vertx.core.json.JsonObject(r.body()));
                        sleep = 100;
                        continue;
                    }
                    sleep = Math.min(1000, sleep * 2); // 404: no work; back off like --minsleep/--maxsleep
                } catch (IOException | RuntimeException e) {
                    sleep = 500; // engine down or answering garbage: try again
                }
                if (!pause(sleep)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // the VM is going away
        }
    }

    private void run(io.vertx.core.json.JsonObject cmd) throws InterruptedException {
        long millis = Long.parseLong(cmd.getJsonArray("argv").getString(1));
        TaskRef task = new TaskRef(cmd.getLong("jid"), cmd.getInteger("tid"), cmd.getInteger("cid"));
        long end = System.currentTimeMillis() + millis;
        runningUntil = end;
        taskStarted(task); // drover-run tells the agent at once
        while (System.currentTimeMillis() < end) {
            if (!pause(Math.min(500, end - System.currentTimeMillis()))) {
                return; // the VM went away: nothing reported, as with a VM that vanished
            }
            try {
                post("btrack", Map.of("q", "bpulse"));
            } catch (IOException | RuntimeException e) {
                // engine away: the work goes on
            }
        }
        taskFinished(task, millis);
        Map<String, String> report = Map.of("q", "exitcode", "rc", "0", "jid", String.valueOf(task.jid()), "tid",
                String.valueOf(task.tid()), "cid", String.valueOf(task.cid()), "rev",
                String.valueOf(cmd.getInteger("rev")), "secs", String.valueOf(millis / 1000), "owner",
                cmd.getString("uid", ""));
        while (!stopped) { // an undelivered exit report is kept and sent again (§2.3)
            try {
                HttpResponse<String> r = post("task", report);
                if (r.statusCode() == 200 && new io.vertx.core.json.JsonObject(r.body()).getInteger("rc", -1) == 0) {
                    return; // only a well-formed "recorded" counts: a restarting engine's garbage is no receipt
                }
            } catch (IOException | RuntimeException e) {
                // engine down: keep it
            }
            if (!pause(500)) {
                return;
            }
        }
    }

    private boolean pause(long millis) throws InterruptedException {
        if (stopped) {
            return false;
        }
        Thread.sleep(Math.max(1, millis));
        return !stopped;
    }

    private HttpResponse<String> post(String verb, Map<String, String> params) throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>(params);
        form.put("hnm", bladeHost);
        form.put("lp", "9005");
        form.put("sa", running == null ? "1,1,0" : "0,1,1");
        form.put("svckeys", "blender");
        String body = form.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(),
                StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        // a generous timeout: a nextcmd reply lost to a timeout on a loaded machine would leave a task the engine
        // thinks this blade runs and the blade never heard of (the fake engine does not reconcile a blade's acids)
        return http.send(HttpRequest.newBuilder(URI.create(engine + verb)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The VM is gone: blade and agent stop at once, without a word to anyone. */
    @Override
    public void close() throws InterruptedException {
        stopped = true;
        bladeThread.interrupt();
        Channel c = channel;
        if (c != null) {
            c.close();
        }
        bladeThread.join(5000);
    }
}
