package dev.drover.agent.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds back "connected" from the session until the TLS handshake succeeded, so the Hello (and the enrolment
 * token in it) is written only to a verified coordinator; a failed handshake closes the connection with the
 * reason logged, and nothing is ever sent.
 */
public final class HandshakeGate extends ChannelInboundHandlerAdapter {
    private static final Logger LOGGER = LoggerFactory.getLogger(HandshakeGate.class);

    private final String coordinator;

    public HandshakeGate(String coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // swallowed: the session hears of the connection once the coordinator is verified
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                ctx.fireChannelActive();
                ctx.pipeline().remove(this);
            } else {
                String why = String.valueOf(done.cause());
                boolean verification = false;
                for (Throwable c = done.cause(); c != null; c = c.getCause()) {
                    verification |= c instanceof java.security.cert.CertificateException
                            || c instanceof javax.net.ssl.SSLHandshakeException;
                    if (c.getMessage() != null) {
                        why = c.getMessage(); // the innermost reason that says something
                    }
                }
                if (verification) {
                    LOGGER.atError().addKeyValue("coordinator", coordinator).addKeyValue("error", why)
                            .log("coordinator failed TLS verification; not sending the enrolment token, closing");
                } else {
                    LOGGER.atWarn().addKeyValue("coordinator", coordinator).addKeyValue("error", why)
                            .log("connection ended during the TLS handshake; nothing was sent, will retry");
                }
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Handshake failures also arrive as exceptions; the event above already dealt with them. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
