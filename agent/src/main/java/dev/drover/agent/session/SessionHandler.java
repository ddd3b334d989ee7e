package dev.drover.agent.session;

import dev.drover.protocol.Ack;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.FrameEncoder;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.LinkTimings;
import dev.drover.protocol.Message;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.ProtocolLimits;
import dev.drover.protocol.Reject;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.Welcome;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's protocol, agent side: Hello → Welcome (streams, PROTOCOL.md §6), then heartbeats,
 * acknowledgements both ways, and liveness (a coordinator silent for {@link #silenceMillis} gets a Ping,
 * then the connection is dropped and re-made). All methods run on the channel's event loop.
 */
public final class SessionHandler extends SimpleChannelInboundHandler<Message> {
    private static final Logger LOGGER = LoggerFactory.getLogger(SessionHandler.class);
    /** Name of the idle handler in the pipeline, re-timed once Welcome says the real interval. */
    static final String IDLE = "idle";

    private final SessionListener listener;
    private final AgentCommands commands;
    private final SessionMemory memory;
    private ChannelHandlerContext ctx;
    private boolean established;
    private boolean pingOutstanding;
    private int heartbeatMillis;
    private int jitterPercent;
    private ScheduledFuture<?> nextHeartbeat;
    /** Highest reliable sequence written on this connection, so a resend and a late send never both go out. */
    private long highestSentSeq;
    /** Host names last stated on this connection; a new connection states them again (PROTOCOL.md §4 Heartbeat). */
    private HostNames hostNamesSent = HostNames.NONE;

    public SessionHandler(SessionListener listener, AgentCommands commands, SessionMemory memory) {
        this.listener = listener;
        this.commands = commands;
        this.memory = memory;
    }

    /**
     * How long the coordinator may be silent before the agent pings it (and, as long again, before the link
     * is dropped). The coordinator writes at least every half of it, so this is generous: a coordinator
     * that stalls for a few seconds must not make the fleet reconnect.
     */
    static long silenceMillis(int heartbeatIntervalMillis) {
        return LinkTimings.agentSilenceAllowanceMillis(heartbeatIntervalMillis);
    }

    public boolean established() {
        return established && ctx != null && ctx.channel().isActive();
    }

    public void sendIfEstablished(Message message) {
        if (!established()) {
            return;
        }
        if (message instanceof Reliable r) {
            if (r.seq() <= highestSentSeq) {
                return; // already went out with the resend after Welcome
            }
            highestSentSeq = r.seq();
        }
        ctx.writeAndFlush(message);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        DeliveryStore store = memory.outbox();
        Hello hello = commands.hello(memory.sessionId(), store.lastCommandSeq())
                .withStreams(store.streamId(), store.commandStreamId(), store.lastCommandSeq())
                .withMaxFrameLength(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        ctx.writeAndFlush(hello);
        LOGGER.atDebug().addKeyValue("nodeId", hello.identity().nodeId()).log("connected; hello sent");
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (nextHeartbeat != null) {
            nextHeartbeat.cancel(false);
        }
        if (established) {
            LOGGER.atWarn().addKeyValue("sessionId", memory.sessionId())
                    .addKeyValue("unacknowledged", memory.outbox().size())
                    .log("connection to coordinator lost; will reconnect and resume");
        }
        established = false;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        pingOutstanding = false;
        if (message instanceof Welcome w) {
            onWelcome(w);
        } else if (message instanceof Reject r) {
            onReject(r);
        } else if (message instanceof Bye b) {
            onBye(b);
        } else if (!established) {
            LOGGER.atWarn().addKeyValue("type", message.type()).log("message before welcome; closing");
            ctx.close();
        } else if (message instanceof Ack a) {
            memory.outbox().acknowledge(a.seq());
        } else if (message instanceof Ping p) {
            ctx.writeAndFlush(new Pong(p.nonce()));
        } else if (message instanceof Reliable command) {
            onCommand(command);
        } else if (!(message instanceof Pong)) {
            LOGGER.atWarn().addKeyValue("type", message.type()).log("unexpected message from coordinator; closing");
            ctx.close();
        }
    }

    /** Applies a command once (by stream and seq), after which it counts as processed; acknowledges either way. */
    private void onCommand(Reliable command) {
        DeliveryStore store = memory.outbox();
        if (command.seq() > store.lastCommandSeq()) {
            commands.onCommand(command);
            store.commandProcessed(store.commandStreamId(), command.seq());
        }
        ctx.writeAndFlush(new Ack(store.lastCommandSeq()));
    }

    private void onWelcome(Welcome w) {
        if (!w.nodeCredential().isEmpty()) {
            try {
                commands.credentialIssued(w.nodeCredential());
            } catch (RuntimeException e) {
                // Not kept, so not confirmed: the coordinator lets the enrolment token in again for this node.
                LOGGER.atError().log("cannot keep the node credential the coordinator issued: " + e.getMessage());
                ctx.close();
                return;
            }
        }
        boolean newSession = !w.sessionId().equals(memory.sessionId());
        DeliveryStore store = memory.outbox();
        if (!w.commandStreamId().isEmpty() && !w.commandStreamId().equals(store.commandStreamId())) {
            // A coordinator stream we have not followed (the coordinator restarted without its old one):
            // its seqs start again from 1, and none of them has been processed yet.
            LOGGER.atInfo().addKeyValue("from", store.commandStreamId()).addKeyValue("to", w.commandStreamId())
                    .log("coordinator command stream changed; counting from 0");
            store.commandProcessed(w.commandStreamId(), 0);
        }
        memory.sessionId(w.sessionId());
        store.acknowledge(w.lastReceivedSeq());
        heartbeatMillis = w.heartbeatIntervalMillis();
        jitterPercent = w.heartbeatJitterPercent();
        if (w.maxFrameLength() < ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH && ctx.pipeline().get("encoder") != null) {
            ctx.pipeline().replace("encoder", "encoder", new FrameEncoder(w.maxFrameLength()));
        }
        if (ctx.pipeline().get(IDLE) != null) {
            long silence = silenceMillis(heartbeatMillis);
            ctx.pipeline().replace(IDLE, IDLE, new IdleStateHandler(silence, 0, 0, TimeUnit.MILLISECONDS));
        }
        established = true;
        var unacked = store.unacknowledged();
        for (Reliable r : unacked) {
            ctx.write(r);
            highestSentSeq = Math.max(highestSentSeq, r.seq());
        }
        ctx.flush();
        LOGGER.atInfo().addKeyValue("sessionId", w.sessionId()).addKeyValue("nodeId", w.nodeId())
                .addKeyValue("version", w.version()).addKeyValue("resumed", w.resumed() && !newSession)
                .addKeyValue("resent", unacked.size()).log("session established");
        sendHeartbeat();
        listener.established();
    }

    private void onReject(Reject r) {
        ReconnectAdvice advice = ReconnectAdvice.after(r.reason());
        if (r.reason() == dev.drover.protocol.RejectReason.ATTESTATION_REQUIRED) {
            LOGGER.atInfo().addKeyValue("detail", r.detail()).log("coordinator asks this VM to prove itself; "
                    + "fetching the attested document");
            commands.attestationRequired(r.attestationNonce());
            listener.advise(advice);
            ctx.close();
            return;
        }
        var log = advice.needsOperator() ? LOGGER.atError() : LOGGER.atWarn();
        log.addKeyValue("reason", r.reason()).addKeyValue("detail", r.detail())
                .addKeyValue("coordinatorVersions", r.minVersion() + ".." + r.maxVersion())
                .addKeyValue("advice", advice).log("coordinator rejected this agent; will retry later");
        listener.advise(advice);
        ctx.close();
    }

    private void onBye(Bye b) {
        ReconnectAdvice advice = ReconnectAdvice.after(b.reason());
        var log = advice.needsOperator() ? LOGGER.atError() : LOGGER.atInfo();
        log.addKeyValue("reason", b.reason()).addKeyValue("detail", b.detail()).addKeyValue("advice", advice)
                .log(b.reason() == ByeReason.SUPERSEDED ? "another connection speaks for this node; backing off"
                        : "coordinator closed the session");
        listener.advise(advice);
        ctx.close();
    }

    private void sendHeartbeat() {
        if (!established()) {
            return;
        }
        ctx.writeAndFlush(withHostNamesIfNew(commands.heartbeat()));
        // ±jitter so thousands of agents started together do not beat in lockstep.
        double spread = jitterPercent / 100.0;
        double factor = 1 + (spread == 0 ? 0 : ThreadLocalRandom.current().nextDouble(-spread, spread));
        long delay = Math.max(50, Math.round(heartbeatMillis * factor));
        nextHeartbeat = ctx.executor().schedule(this::sendHeartbeat, delay, TimeUnit.MILLISECONDS);
    }

    /** Adds the host names when this connection has not stated them yet, or they changed since. */
    private Heartbeat withHostNamesIfNew(Heartbeat hb) {
        HostNames now = commands.hostNames();
        if (now.isEmpty() || now.equals(hostNamesSent)) {
            return hb;
        }
        hostNamesSent = now;
        return hb.withHostNames(now);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
            if (pingOutstanding || !established) {
                LOGGER.atWarn().addKeyValue("established", established)
                        .log("coordinator silent; dropping connection");
                ctx.close();
            } else {
                pingOutstanding = true;
                ctx.writeAndFlush(new Ping(System.nanoTime()));
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOGGER.atWarn().addKeyValue("error", String.valueOf(cause.getMessage()))
                .setCause(LOGGER.isDebugEnabled() ? cause : null)
                .log("connection error; closing");
        if (ctx.channel().isActive() && established) {
            ctx.writeAndFlush(new Bye(ByeReason.PROTOCOL_ERROR, String.valueOf(cause.getMessage())));
        }
        ctx.close();
    }
}
