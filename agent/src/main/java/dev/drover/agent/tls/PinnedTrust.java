package dev.drover.agent.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a coordinator only when its chain ends in the pinned CA: either the CA certificates from a file, or
 * the certificate in the presented chain whose SHA-256 fingerprint is pinned. The chain is then checked by the
 * JDK's PKIX validator with that CA as the only anchor (signatures, validity, key usage) and, because the
 * engine carries the endpoint identification algorithm, the coordinator's name against its certificate.
 */
final class PinnedTrust extends X509ExtendedTrustManager {
    private final List<X509Certificate> anchors;
    private final String fingerprint;

    private PinnedTrust(List<X509Certificate> anchors, String fingerprint) {
        this.anchors = anchors;
        this.fingerprint = fingerprint;
    }

    static PinnedTrust ofCertificates(List<X509Certificate> anchors) {
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("no CA certificate to pin");
        }
        return new PinnedTrust(List.copyOf(anchors), null);
    }

    static PinnedTrust ofFingerprint(String sha256Hex) {
        return new PinnedTrust(List.of(), sha256Hex);
    }

    static String sha256(X509Certificate c) throws CertificateException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new CertificateException(e);
        }
    }

    private X509ExtendedTrustManager validator(X509Certificate[] chain) throws CertificateException {
        List<X509Certificate> trusted = anchors;
        if (fingerprint != null) {
            trusted = null;
            for (X509Certificate c : chain) {
                if (MessageDigest.isEqual(sha256(c).getBytes(), fingerprint.getBytes())) {
                    trusted = List.of(c);
                    break;
                }
            }
            if (trusted == null) {
                throw new CertificateException("no certificate in the coordinator's chain has the pinned SHA-256 "
                        + "fingerprint; this is not our coordinator (or its CA was replaced)");
            }
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < trusted.size(); i++) {
                store.setCertificateEntry("pinned-" + i, trusted.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            for (TrustManager tm : factory.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new CertificateException("the JDK has no PKIX trust manager");
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new CertificateException("cannot set up the pinned CA: " + e.getMessage(), e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        validator(chain).checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        validator(chain).checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("refusing to check a server without its connection (no hostname check)");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("the agent never accepts TLS clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("the agent never accepts TLS clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the agent never accepts TLS clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return anchors.toArray(X509Certificate[]::new);
    }
}
