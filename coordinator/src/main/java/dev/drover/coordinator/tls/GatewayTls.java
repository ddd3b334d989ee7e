package dev.drover.coordinator.tls;

import dev.drover.coordinator.config.ConfigException;
import dev.drover.coordinator.config.CoordinatorConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's TLS material: the operator's own certificate and key, or the coordinator's own CA and server
 * certificate in {@code gateway.tls.dir}, created on first run (and the server certificate re-issued when the
 * configured hosts change). Agents pin the CA, by file or by its SHA-256 fingerprint.
 */
public final class GatewayTls {
    private static final Logger LOGGER = LoggerFactory.getLogger(GatewayTls.class);
    public static final String CA_CERT = "ca.pem";
    public static final String CA_KEY = "ca.key";
    public static final String SERVER_CERT = "server.pem";
    public static final String SERVER_KEY = "server.key";

    /**
     * @param certChain the server certificate followed by its chain (PEM)
     * @param ca the certificate agents pin: the CA, or the top of an operator-supplied chain
     */
    public record Material(Path certChain, Path key, X509Certificate ca, boolean created) {
        public String caFingerprint() {
            return Pem.sha256(ca);
        }
    }

    private GatewayTls() {
    }

    /** The gateway's material, creating the CA and server certificate when none exist yet. */
    public static Material prepare(CoordinatorConfig.Gateway gateway, Instant now) {
        CoordinatorConfig.Tls tls = gateway.tls();
        try {
            if (tls.certFile() != null) {
                Path cert = Path.of(tls.certFile());
                List<X509Certificate> chain = Pem.readCertificates(cert);
                Pem.readPrivateKey(Path.of(tls.keyFile())); // fail at start, naming the file, not at the first agent
                X509Certificate ca = tls.caFile() != null ? Pem.readCertificates(Path.of(tls.caFile())).get(0)
                        : chain.get(chain.size() - 1);
                return new Material(cert, Path.of(tls.keyFile()), ca, false);
            }
            return ensureOwnCa(Path.of(tls.dir()), hosts(gateway), now);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("gateway.tls: " + e.getMessage(), e);
        }
    }

    /** The names in the server certificate: {@code gateway.tls.hosts}, else {@code gateway.host}. */
    static List<String> hosts(CoordinatorConfig.Gateway gateway) {
        if (!gateway.tls().hosts().isEmpty()) {
            return gateway.tls().hosts();
        }
        String host = gateway.host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            throw new IllegalArgumentException("gateway.host " + host + " listens on every address; list the names "
                    + "and addresses agents use in gateway.tls.hosts so the certificate can name them");
        }
        return List.of(host);
    }

    static Material ensureOwnCa(Path dir, List<String> hosts, Instant now) throws IOException {
        Files.createDirectories(dir);
        Path caCert = dir.resolve(CA_CERT);
        Path caKey = dir.resolve(CA_KEY);
        Path serverCert = dir.resolve(SERVER_CERT);
        Path serverKey = dir.resolve(SERVER_KEY);
        boolean created = false;
        CertificateAuthority.Issued ca;
        if (Files.exists(caCert) && Files.exists(caKey)) {
            ca = new CertificateAuthority.Issued(Pem.readCertificates(caCert).get(0), Pem.readPrivateKey(caKey));
        } else {
            ca = CertificateAuthority.newCa("Drover coordinator CA", now);
            Pem.write(caKey, Pem.privateKey(ca.key()), true);
            Pem.write(caCert, Pem.certificates(List.of(ca.certificate())), false);
            created = true;
            LOGGER.atInfo().addKeyValue("dir", dir).addKeyValue("caSha256", Pem.sha256(ca.certificate()))
                    .log("created the coordinator's CA for the agent channel; agents pin this fingerprint");
        }
        if (created || !Files.exists(serverCert) || !Files.exists(serverKey) || !covers(serverCert, hosts, now)) {
            CertificateAuthority.Issued server = CertificateAuthority.newServer(ca, hosts, now);
            Pem.write(serverKey, Pem.privateKey(server.key()), true);
            Pem.write(serverCert, Pem.certificates(List.of(server.certificate(), ca.certificate())), false);
            LOGGER.atInfo().addKeyValue("dir", dir).addKeyValue("hosts", String.join(",", hosts))
                    .log("issued the gateway's server certificate");
        }
        return new Material(serverCert, serverKey, ca.certificate(), created);
    }

    /** The existing server certificate names every host and is valid for at least 30 more days. */
    private static boolean covers(Path serverCert, List<String> hosts, Instant now) throws IOException {
        X509Certificate cert = Pem.readCertificates(serverCert).get(0);
        if (cert.getNotAfter().toInstant().isBefore(now.plus(java.time.Duration.ofDays(30)))) {
            return false;
        }
        Set<String> names = new HashSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    names.add(String.valueOf(san.get(1)).toLowerCase(java.util.Locale.ROOT));
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
        List<String> wanted = new ArrayList<>();
        for (String h : hosts) {
            wanted.add(h.toLowerCase(java.util.Locale.ROOT));
        }
        return names.containsAll(wanted);
    }

    /** A TLS 1.3-only server context on the JDK provider. */
    public static SslContext serverContext(Material material) {
        try {
            List<X509Certificate> chain = Pem.readCertificates(material.certChain());
            java.security.PrivateKey key = Pem.readPrivateKey(material.key());
            // An in-memory JKS store: PKCS#12 (Netty's default) derives a key with PBKDF2 on every start, which
            // took seconds on a loaded machine. The password only satisfies the API; the store never hits disk.
            char[] password = "in-memory".toCharArray();
            java.security.KeyStore store = java.security.KeyStore.getInstance("JKS");
            store.load(null, null);
            store.setKeyEntry("gateway", key, password, chain.toArray(X509Certificate[]::new));
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                    javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            return SslContextBuilder.forServer(kmf).sslProvider(SslProvider.JDK).protocols("TLSv1.3").build();
        } catch (IOException | java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw new ConfigException("gateway.tls: cannot use " + material.certChain() + " / " + material.key()
                    + ": " + e.getMessage(), e);
        }
    }
}
