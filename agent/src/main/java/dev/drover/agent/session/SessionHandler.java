package dev.drover.agent.session;

import dev.drover.protocol.Ack;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.Ping;
import dev.drover.protocol.Pong;
import dev.drover.protocol.Reject;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.Welcome;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's protocol, agent side: Hello → Welcome, then heartbeats, acknowledgements both ways,
 * and liveness (a silent coordinator gets a Ping, then the connection is dropped and re-made).
 * All methods run on the channel's event loop.
 */
final class SessionHandler extends SimpleChannelInboundHandler<Message> {
    private static final Logger LOGGER = LoggerFactory.getLogger(SessionHandler.class);

    private final CoordinatorClient client;
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

    SessionHandler(CoordinatorClient client, AgentCommands commands, SessionMemory memory) {
        this.client = client;
        this.commands = commands;
        this.memory = memory;
    }

    boolean established() {
        return established && ctx != null && ctx.channel().isActive();
    }

    void sendIfEstablished(Message message) {
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
        Hello hello = commands.hello(memory.sessionId(), memory.inbound().last());
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
            LOGGER.atError().addKeyValue("reason", r.reason()).addKeyValue("detail", r.detail())
                    .addKeyValue("coordinatorVersions", r.minVersion() + ".." + r.maxVersion())
                    .log("coordinator rejected this agent; will retry with backoff");
            ctx.close();
        } else if (!established) {
            LOGGER.atWarn().addKeyValue("type", message.type()).log("message before welcome; closing");
            ctx.close();
        } else if (message instanceof Ack a) {
            memory.outbox().acknowledge(a.seq());
        } else if (message instanceof Ping p) {
            ctx.writeAndFlush(new Pong(p.nonce()));
        } else if (message instanceof Reliable command) {
            if (memory.inbound().accept(command.seq())) {
                commands.onCommand(command);
            }
            ctx.writeAndFlush(new Ack(memory.inbound().last()));
        } else if (message instanceof Bye b) {
            LOGGER.atInfo().addKeyValue("reason", b.reason()).addKeyValue("detail", b.detail())
                    .log("coordinator closed the session");
            ctx.close();
        } else if (!(message instanceof Pong)) {
            LOGGER.atWarn().addKeyValue("type", message.type()).log("unexpected message from coordinator; closing");
            ctx.close();
        }
    }

    private void onWelcome(Welcome w) {
        boolean newSession = !w.sessionId().equals(memory.sessionId());
        memory.sessionId(w.sessionId());
        memory.outbox().acknowledge(w.lastReceivedSeq());
        heartbeatMillis = w.heartbeatIntervalMillis();
        jitterPercent = w.heartbeatJitterPercent();
        established = true;
        var unacked = memory.outbox().unacknowledged();
        for (Reliable r : unacked) {
            ctx.write(r);
            highestSentSeq = Math.max(highestSentSeq, r.seq());
        }
        ctx.flush();
        LOGGER.atInfo().addKeyValue("sessionId", w.sessionId()).addKeyValue("nodeId", w.nodeId())
                .addKeyValue("version", w.version()).addKeyValue("resumed", w.resumed() && !newSession)
                .addKeyValue("resent", unacked.size()).log("session established");
        sendHeartbeat();
        client.onEstablished();
    }

    private void sendHeartbeat() {
        if (!established()) {
            return;
        }
        ctx.writeAndFlush(commands.heartbeat());
        // ±jitter so thousands of agents started together do not beat in lockstep.
        double spread = jitterPercent / 100.0;
        double factor = 1 + (spread == 0 ? 0 : ThreadLocalRandom.current().nextDouble(-spread, spread));
        long delay = Math.max(50, Math.round(heartbeatMillis * factor));
        nextHeartbeat = ctx.executor().schedule(this::sendHeartbeat, delay, TimeUnit.MILLISECONDS);
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
