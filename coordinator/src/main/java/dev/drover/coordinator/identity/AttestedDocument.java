package dev.drover.coordinator.identity;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * The Azure IMDS attested document (GET /metadata/attested/document, response field {@code signature}): a PKCS#7
 * SignedData whose content is JSON naming the VM ({@code vmId}, {@code subscriptionId}), the caller's
 * {@code nonce} and a {@code timeStamp} {createdOn, expiresOn} ("MM/dd/yy HH:mm:ss Z"). {@link #verify} checks
 * the signature and that the signer chains to a configured trust root and is named for {@code signerName}
 * (Azure: metadata.azure.com), then returns the claims. Pure apart from the JDK's PKIX code.
 */
public final class AttestedDocument {
    /** Azure's timeStamp format, e.g. "11/28/18 00:52:03 -0800". */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MM/dd/yy HH:mm:ss Z", Locale.ROOT);

    /** What the document says, once its signature checked out. */
    public record Claims(String nonce, String vmId, String subscriptionId, Instant createdOn, Instant expiresOn) {
    }

    private AttestedDocument() {
    }

    /**
     * @param trust the roots (self-signed) and intermediates the signer may chain through
     * @throws AttestationException naming what is wrong
     */
    public static Claims verify(String base64, List<X509Certificate> trust, String signerName, Instant now) {
        CMSSignedData cms;
        try {
            cms = new CMSSignedData(Base64.getMimeDecoder().decode(base64));
        } catch (IllegalArgumentException | CMSException e) {
            throw new AttestationException("attested document is not base64 PKCS#7: " + e.getMessage());
        }
        if (cms.getSignedContent() == null || !(cms.getSignedContent().getContent() instanceof byte[] content)) {
            throw new AttestationException("attested document carries no signed content");
        }
        Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
        if (signers.size() != 1) {
            throw new AttestationException("attested document has " + signers.size() + " signers, expected 1");
        }
        SignerInformation signer = signers.iterator().next();
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> matching = cms.getCertificates().getMatches(signer.getSID());
        if (matching.isEmpty()) {
            throw new AttestationException("attested document does not include its signer's certificate");
        }
        X509Certificate signerCert;
        List<X509Certificate> carried = new ArrayList<>();
        try {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            signerCert = converter.getCertificate(matching.iterator().next());
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> all = cms.getCertificates().getMatches(null);
            for (X509CertificateHolder h : all) {
                carried.add(converter.getCertificate(h));
            }
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signerCert))) {
                throw new AttestationException("attested document signature does not verify");
            }
        } catch (CMSException | OperatorCreationException | java.security.cert.CertificateException e) {
            throw new AttestationException("attested document signature does not verify: " + e.getMessage());
        }
        checkChain(signerCert, carried, trust, now);
        checkName(signerCert, signerName);
        return claims(new String(content, StandardCharsets.UTF_8));
    }

    private static void checkChain(X509Certificate leaf, List<X509Certificate> carried, List<X509Certificate> trust,
            Instant now) {
        Set<TrustAnchor> anchors = new java.util.HashSet<>();
        List<X509Certificate> intermediates = new ArrayList<>(carried);
        for (X509Certificate c : trust) {
            if (c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                anchors.add(new TrustAnchor(c, null));
            } else {
                intermediates.add(c);
            }
        }
        if (anchors.isEmpty()) {
            throw new AttestationException("the attestation trust root file holds no root (self-signed) certificate");
        }
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(leaf);
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
            params.setRevocationEnabled(false); // Azure's CRLs are not reachable from every head node; short-lived leafs
            params.setDate(Date.from(now));
            intermediates.add(leaf);
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(intermediates)));
            CertPathBuilder.getInstance("PKIX").build(params);
        } catch (java.security.GeneralSecurityException e) {
            throw new AttestationException("attested document signer " + leaf.getSubjectX500Principal()
                    + " does not chain to the configured trust root: " + e.getMessage());
        }
    }

    private static void checkName(X509Certificate leaf, String signerName) {
        List<String> names = new ArrayList<>();
        try {
            if (leaf.getSubjectAlternativeNames() != null) {
                for (List<?> san : leaf.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new AttestationException("attested document signer has unreadable names: " + e.getMessage());
        }
        String subject = leaf.getSubjectX500Principal().getName().toLowerCase(Locale.ROOT);
        boolean named = names.stream().anyMatch(n -> n.equals(signerName) || n.endsWith("." + signerName))
                || subject.contains("cn=" + signerName) || subject.matches(".*cn=[^,]*\\." + signerName.replace(".",
                        "\\.") + "(,.*)?");
        if (!named) {
            throw new AttestationException("attested document signer is not named for " + signerName + " (subject "
                    + leaf.getSubjectX500Principal() + ")");
        }
    }

    static Claims claims(String json) {
        try {
            JsonObject doc = new JsonObject(json);
            JsonObject time = doc.getJsonObject("timeStamp");
            if (time == null) {
                throw new AttestationException("attested document has no timeStamp");
            }
            return new Claims(text(doc, "nonce"), text(doc, "vmId"), text(doc, "subscriptionId"),
                    instant(time, "createdOn"), instant(time, "expiresOn"));
        } catch (DecodeException | ClassCastException e) {
            throw new AttestationException("attested document content is not the expected JSON: " + e.getMessage());
        }
    }

    private static String text(JsonObject doc, String field) {
        String v = doc.getString(field);
        if (v == null || v.isBlank()) {
            throw new AttestationException("attested document has no " + field);
        }
        return v;
    }

    private static Instant instant(JsonObject time, String field) {
        String v = text(time, field);
        try {
            return ZonedDateTime.parse(v, TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new AttestationException("attested document timeStamp." + field + " is not MM/dd/yy HH:mm:ss Z: "
                    + v);
        }
    }
}
