package dev.drover.coordinator.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Guards a connection until its Hello is accepted: one deadline for the whole Hello counted from accept (the
 * TLS handshake included, so sending a byte now and then buys nothing), and a cap on the bytes it may send
 * before that, which bounds what the TLS and frame decoders buffer for a peer nobody has vouched for.
 * The gateway removes it once the connection enrolled; {@code onDone} runs exactly once either way.
 * Sits behind the TLS handler, so it counts plaintext bytes.
 */
final class PreHelloGuard extends ChannelInboundHandlerAdapter {
    /** A Hello is a few hundred bytes (strings are capped at 256, the token included); this leaves room. */
    static final int MAX_BYTES_BEFORE_HELLO = 16 * 1024;
    /** How long the Bye after a missed deadline may take before the connection is closed anyway. */
    static final long GRACE_MILLIS = 500;

    private final long deadlineMillis;
    private final int maxBytes;
    private final String remote;
    private final BadConnectionLog log;
    private final Runnable onDone;
    private ScheduledFuture<?> deadline;
    private long bytes;
    private boolean done;

    PreHelloGuard(long deadlineMillis, int maxBytes, String remote, BadConnectionLog log, Runnable onDone) {
        this.deadlineMillis = deadlineMillis;
        this.maxBytes = maxBytes;
        this.remote = remote;
        this.log = log;
        this.onDone = onDone;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> {
            // The gateway answers with Bye and closes (logged there); if a stalled TLS handshake keeps even the Bye
            // from going out, the connection is closed regardless a moment later.
            ctx.fireUserEventTriggered(AgentGatewayVerticle.LinkIdle.SILENT);
            ctx.executor().schedule(() -> {
                ctx.close();
            }, GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }, deadlineMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            bytes += buf.readableBytes();
            if (bytes > maxBytes) {
                ReferenceCountUtil.release(msg);
                log.warn(remote, "closing agent connection", "sent " + bytes + " bytes before its Hello was accepted, "
                        + "limit " + maxBytes);
                ctx.close();
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** TLS failures (a plaintext client, a bad handshake) end here: logged within the budget, connection closed. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause.getCause() != null ? cause.getCause() : cause;
        log.warn(remote, "closing agent connection", "before Hello: " + root.getClass().getSimpleName() + ": "
                + root.getMessage());
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        finish();
    }

    private void finish() {
        if (done) {
            return;
        }
        done = true;
        if (deadline != null) {
            deadline.cancel(false);
        }
        onDone.run();
    }
}
