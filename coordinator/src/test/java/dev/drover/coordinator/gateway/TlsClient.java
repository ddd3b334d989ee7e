package dev.drover.coordinator.gateway;

import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.Message;
import dev.drover.protocol.MessageCodec;
import dev.drover.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.nio.file.Files;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A blocking test agent over TLS 1.3 that trusts only the test coordinator's CA and checks its name, as the
 * real agent does; frames with the real codec. Can bind a chosen loopback source address.
 */
public final class TlsClient implements AutoCloseable {
    private final SSLSocket socket;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());

    public TlsClient(Path caFile, String from, int port) throws Exception {
        Socket plain = new Socket();
        plain.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket = (SSLSocket) context(caFile).getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
        SSLParameters params = socket.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setProtocols(new String[] {"TLSv1.3"});
        socket.setSSLParameters(params);
        socket.setSoTimeout(30_000);
        socket.startHandshake();
    }

    static SSLContext context(Path caFile) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            store.setCertificateEntry("ca", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static byte[] frame(Message m) {
        ByteBuf buf = Unpooled.buffer();
        MessageCodec.encode(m, buf, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        return bytes;
    }

    public void send(Message m) throws IOException {
        sendRaw(frame(m));
    }

    void sendRaw(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /** The next message, or null if the server closed the connection first. */
    public Message receive() throws IOException {
        while (true) {
            Object m = decoder.readInbound();
            if (m != null) {
                return (Message) m;
            }
            byte[] buf = new byte[4096];
            int n;
            try {
                n = socket.getInputStream().read(buf);
            } catch (SocketException | javax.net.ssl.SSLException e) {
                return null;
            }
            if (n < 0) {
                return null;
            }
            decoder.writeInbound(Unpooled.wrappedBuffer(buf, 0, n));
        }
    }

    /** True once the server has closed the connection within the read timeout. */
    public boolean closedByServer(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        byte[] buf = new byte[4096];
        try {
            while (socket.getInputStream().read(buf) >= 0) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException | javax.net.ssl.SSLException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        decoder.finishAndReleaseAll();
        socket.close();
    }
}
