package dev.drover.coordinator.api;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpConnection;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP connection whose request (headers and body) does not arrive in full within a deadline,
 * counted from the connection's start or from the end of the previous response. A client sending a header
 * byte now and then (slowloris), or half a body, can then hold a connection for seconds, not forever; an idle
 * keep-alive connection is closed after the same time. Long responses (the dashboard's event stream) are not
 * limited: the deadline waits while a response is being written.
 */
final class RequestDeadline extends ChannelDuplexHandler {
    static final long DEFAULT_MILLIS = 10_000;

    private final long millis;
    private ScheduledFuture<?> timer;

    RequestDeadline(long millis) {
        this.millis = millis;
    }

    /**
     * Puts a deadline into {@code connection}'s Netty pipeline (Vert.x internals, like the agent gateway; the
     * Vert.x version is pinned in the root pom for that reason). HTTP/1 only: that is all the API serves.
     */
    static void install(HttpConnection connection, long millis) {
        if (connection instanceof io.vertx.core.net.impl.ConnectionBase base) {
            var pipeline = base.channelHandlerContext().pipeline();
            if (pipeline.get("handler") != null) {
                pipeline.addBefore("handler", "requestDeadline", new RequestDeadline(millis));
            } else {
                pipeline.addLast("requestDeadline", new RequestDeadline(millis));
            }
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof LastHttpContent) {
            disarm(); // the whole request is in; the response may take as long as it needs
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent) {
            ctx.write(msg, promise.unvoid()).addListener(done -> arm(ctx)); // waiting for the next request
            return;
        }
        ctx.write(msg, promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    private void arm(ChannelHandlerContext ctx) {
        disarm();
        if (ctx.channel().isActive() || !ctx.channel().isRegistered()) {
            timer = ctx.executor().schedule(() -> {
                ctx.close();
            }, millis, TimeUnit.MILLISECONDS);
        }
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
