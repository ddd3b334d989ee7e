package dev.drover.agent.tls;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.config.ConfigException;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of TLS on the coordinator channel: a TLS 1.3 client context that trusts only the pinned
 * CA, and per connection a handler that checks the coordinator's name. Without a pin the agent does not
 * start, unless plaintext was asked for explicitly (logged loudly).
 */
public final class CoordinatorTls {
    private static final Logger LOGGER = LoggerFactory.getLogger(CoordinatorTls.class);

    private final SslContext context;
    private final String serverName;

    private CoordinatorTls(SslContext context, String serverName) {
        this.context = context;
        this.serverName = serverName;
    }

    /** The TLS setup for {@code coordinator}, or null for plaintext; a ConfigException names what is missing. */
    public static CoordinatorTls from(AgentConfig.Coordinator coordinator) {
        AgentConfig.Tls tls = coordinator.tls();
        if (tls.insecurePlaintext()) {
            LOGGER.atWarn().addKeyValue("coordinator", coordinator.host() + ":" + coordinator.port())
                    .log("INSECURE: talking to the coordinator WITHOUT TLS (coordinator.tls.insecurePlaintext: true). "
                            + "The enrolment token goes out in clear and anyone on the network can pose as the "
                            + "coordinator and run commands here. Local development only.");
            return null;
        }
        requirePinOrPlaintext(coordinator);
        PinnedTrust trust;
        if (tls.caFile() != null) {
            trust = PinnedTrust.ofCertificates(readCertificates(Path.of(tls.caFile())));
        } else if (tls.caSha256() != null) {
            trust = PinnedTrust.ofFingerprint(tls.caSha256());
        } else {
            trust = PinnedTrust.ofFingerprint(AgentConfig.Tls.normaliseFingerprint(
                    readText(Path.of(tls.caSha256File()), "coordinator.tls.caSha256File"), "coordinator.tls.caSha256File"));
        }
        try {
            SslContext context = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3")
                    .trustManager(trust).build();
            return new CoordinatorTls(context, tls.serverName() != null ? tls.serverName() : coordinator.host());
        } catch (SSLException e) {
            throw new ConfigException("coordinator.tls: cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** Fails (ConfigException naming the keys) when there is neither a pinned CA nor explicit plaintext. */
    public static void requirePinOrPlaintext(AgentConfig.Coordinator coordinator) {
        AgentConfig.Tls tls = coordinator.tls();
        if (!tls.pinned() && !tls.insecurePlaintext()) {
            throw new ConfigException("coordinator.tls: no pinned coordinator CA; set coordinator.tls.caFile, caSha256 "
                    + "or caSha256File (drover-coordinator tls fingerprint prints it), or, for local development "
                    + "only, coordinator.tls.insecurePlaintext: true");
        }
    }

    /** A handler for one connection; the peer's certificate must name {@code serverName}. */
    public SslHandler newHandler(Channel channel, int port) {
        SslHandler handler = context.newHandler(channel.alloc(), serverName, port);
        SSLEngine engine = handler.engine();
        SSLParameters params = engine.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS"); // RFC 2818/6125 name check, IP SANs for addresses
        engine.setSSLParameters(params);
        return handler;
    }

    private static List<X509Certificate> readCertificates(Path file) {
        try {
            List<X509Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file))).stream()
                    .map(X509Certificate.class::cast).toList();
            if (certs.isEmpty()) {
                throw new ConfigException("coordinator.tls.caFile: no certificate in " + file);
            }
            return certs;
        } catch (IOException e) {
            throw new ConfigException("coordinator.tls.caFile: cannot read " + file + ": " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new ConfigException("coordinator.tls.caFile: " + file + " is not a PEM certificate: "
                    + e.getMessage(), e);
        }
    }

    private static String readText(Path file, String field) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new ConfigException(field + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
