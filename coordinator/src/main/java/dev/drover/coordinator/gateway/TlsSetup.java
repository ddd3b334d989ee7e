package dev.drover.coordinator.gateway;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.tls.GatewayTls;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for the agent gateway: the server context from {@link GatewayTls} (created on first run when the
 * operator has not supplied a certificate), or none at all when {@code gateway.tls.insecurePlaintext} is set.
 * The TLS handler is added per connection by the gateway itself rather than by Vert.x, so that a connection
 * is admitted, counted and given its Hello deadline at accept, before any handshake byte.
 */
final class TlsSetup {
    private static final Logger LOGGER = LoggerFactory.getLogger(TlsSetup.class);

    private TlsSetup() {
    }

    /** The context, or null for plaintext (loudly logged). */
    static SslContext serverContext(CoordinatorConfig.Gateway config) {
        if (config.tls().insecurePlaintext()) {
            LOGGER.atWarn().addKeyValue("gateway", config.host() + ":" + config.port())
                    .log("INSECURE: the agent gateway runs WITHOUT TLS (gateway.tls.insecurePlaintext: true). Anyone "
                            + "on the network can read enrolment tokens and pose as this coordinator to agents. "
                            + "Local development only.");
            return null;
        }
        GatewayTls.Material material = GatewayTls.prepare(config, Instant.now());
        LOGGER.atInfo().addKeyValue("certificate", material.certChain()).addKeyValue("caSha256", material.caFingerprint())
                .log("agent gateway uses TLS 1.3; agents pin this CA fingerprint (or the CA file)");
        return GatewayTls.serverContext(material);
    }

    /**
     * Runs the CPU-heavy parts of TLS handshakes (the JDK engine's delegated tasks: key exchange, signatures, and
     * on a cold JVM a lot of class loading) off the event loops, so the gateway's and the API's loops stay
     * responsive while agents connect in numbers. Two daemon threads: a burst of handshakes queues here.
     */
    private static final java.util.concurrent.ExecutorService HANDSHAKES = java.util.concurrent.Executors
            .newFixedThreadPool(2, runnable -> {
                Thread t = new Thread(runnable, "drover-tls-handshake");
                t.setDaemon(true);
                return t;
            });

    static SslHandler newHandler(SslContext context, Channel channel, long handshakeTimeoutMillis) {
        SslHandler handler = context.newHandler(channel.alloc(), HANDSHAKES);
        handler.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        return handler;
    }
}
