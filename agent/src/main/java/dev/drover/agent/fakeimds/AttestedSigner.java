package dev.drover.agent.fakeimds;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Plays Microsoft's role for the fake IMDS: a test root CA and a signing certificate named metadata.azure.com
 * under it, signing attested documents as PKCS#7 SignedData with the content inside, as Azure does. A coordinator
 * that trusts {@link #rootPem()} accepts these documents; one that trusts Microsoft's real root does not.
 */
public final class AttestedSigner {
    public static final String SIGNER_NAME = "metadata.azure.com";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate root;
    private final X509Certificate signer;
    private final PrivateKey signerKey;

    private AttestedSigner(X509Certificate root, X509Certificate signer, PrivateKey signerKey) {
        this.root = root;
        this.signer = signer;
        this.signerKey = signerKey;
    }

    /** A new test root and a signer for {@code signerName} under it. */
    public static AttestedSigner create(String signerName, Instant now) {
        try {
            KeyPair rootKeys = keys();
            X500Name rootName = new X500Name("CN=Drover test attestation root (plays Microsoft's role)");
            X509Certificate root = sign(new JcaX509v3CertificateBuilder(rootName, serial(), Date.from(now.minus(
                    Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))), rootName, rootKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign)), rootKeys.getPrivate());
            KeyPair signerKeys = keys();
            X509Certificate signer = sign(new JcaX509v3CertificateBuilder(root, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(365))),
                    new X500Name("CN=" + signerName), signerKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(new GeneralName(GeneralName.dNSName, signerName))), rootKeys.getPrivate());
            return new AttestedSigner(root, signer, signerKeys.getPrivate());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot create the test attestation signer: " + e.getMessage(), e);
        }
    }

    /** The PKCS#7 SignedData over {@code content}, base64, with the signer's certificate included. */
    public String sign(String content) {
        try {
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signerKey), signer));
            gen.addCertificates(new JcaCertStore(List.of(signer)));
            byte[] der = gen.generate(new CMSProcessableByteArray(content.getBytes(StandardCharsets.UTF_8)), true)
                    .getEncoded();
            return Base64.getEncoder().encodeToString(der);
        } catch (GeneralSecurityException | OperatorCreationException | CMSException | IOException e) {
            throw new IllegalStateException("cannot sign the attested document: " + e.getMessage(), e);
        }
    }

    /** The root a coordinator must trust to accept this signer's documents (PEM). */
    public String rootPem() {
        try {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(root.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair keys() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }
}
