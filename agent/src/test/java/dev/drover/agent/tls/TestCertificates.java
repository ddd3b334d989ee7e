package dev.drover.agent.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for agent tests, made the way the coordinator makes its own (a P-256 CA and a server certificate
 * with SANs): the real coordinator's CA, and rogue ones (self-signed, another CA, a wrong name).
 */
public final class TestCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A certificate and key. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
        public String sha256() throws Exception {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        }

        public Path writeCertificate(Path file, X509Certificate... chainAfter) throws Exception {
            StringBuilder pem = new StringBuilder(pem("CERTIFICATE", certificate.getEncoded()));
            for (X509Certificate c : chainAfter) {
                pem.append(pem("CERTIFICATE", c.getEncoded()));
            }
            Files.writeString(file, pem, StandardCharsets.US_ASCII);
            return file;
        }

        /** A TLS 1.3 server context presenting this certificate (followed by {@code chainAfter}). */
        public SslContext serverContext(Path dir, X509Certificate... chainAfter) throws Exception {
            Path cert = writeCertificate(Files.createTempFile(dir, "cert", ".pem"), chainAfter);
            Path key = Files.createTempFile(dir, "key", ".pem");
            Files.writeString(key, pem("PRIVATE KEY", this.key.getEncoded()), StandardCharsets.US_ASCII);
            return SslContextBuilder.forServer(cert.toFile(), key.toFile()).sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3").build();
        }
    }

    private TestCertificates() {
    }

    public static Issued ca(String name) throws Exception {
        KeyPair keys = keys();
        X500Name subject = new X500Name("CN=" + name);
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), from(), until(), subject,
                keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
        return new Issued(sign(b, keys.getPrivate()), keys.getPrivate());
    }

    /** A server certificate for {@code host} (IP SAN for an address, DNS SAN otherwise), signed by {@code ca}. */
    public static Issued server(Issued ca, String host) throws Exception {
        KeyPair keys = keys();
        GeneralName san = host.matches("[0-9.]+") ? new GeneralName(GeneralName.iPAddress, host)
                : new GeneralName(GeneralName.dNSName, host);
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(), from(), until(),
                new X500Name("CN=" + host), keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san));
        return new Issued(sign(b, ca.key()), keys.getPrivate());
    }

    /** A self-signed server certificate for {@code host}: what a rogue coordinator would present. */
    public static Issued selfSigned(String host) throws Exception {
        KeyPair keys = keys();
        X500Name subject = new X500Name("CN=" + host);
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), from(), until(), subject,
                keys.getPublic())
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.iPAddress, host)));
        return new Issued(sign(b, keys.getPrivate()), keys.getPrivate());
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(120, RANDOM).setBit(119);
    }

    private static Date from() {
        return Date.from(Instant.now().minus(Duration.ofHours(1)));
    }

    private static Date until() {
        return Date.from(Instant.now().plus(Duration.ofDays(30)));
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
                .build(key)));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
