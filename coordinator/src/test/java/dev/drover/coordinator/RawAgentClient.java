package dev.drover.coordinator;

import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.Message;
import dev.drover.protocol.MessageCodec;
import dev.drover.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * A blocking plaintext connection to the gateway that writes whatever bytes a test hands it (valid frames or
 * not) and reads the gateway's answers with the real frame decoder. For plaintext gateways only.
 */
final class RawAgentClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());
    private final byte[] readBuffer = new byte[8192];

    RawAgentClient(String from, int port, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(readTimeoutMillis);
        out = socket.getOutputStream();
    }

    static byte[] frame(Message m) {
        ByteBuf buf = Unpooled.buffer();
        MessageCodec.encode(m, buf, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        return bytes;
    }

    void send(Message m) throws IOException {
        sendRaw(frame(m));
    }

    /** Writes the bytes; false when the gateway has already closed the connection. */
    boolean sendRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException closed) {
            return false;
        }
    }

    /** The next message, or null when the gateway closed the connection (or the read timed out). */
    Message receive() throws IOException {
        while (true) {
            Object m = decoder.readInbound();
            if (m != null) {
                return (Message) m;
            }
            int n;
            try {
                n = socket.getInputStream().read(readBuffer);
            } catch (SocketTimeoutException | SocketException e) {
                return null;
            }
            if (n < 0) {
                return null;
            }
            decoder.writeInbound(Unpooled.copiedBuffer(readBuffer, 0, n));
        }
    }

    /** Reads (and discards) until the gateway closes: true if it did within the read timeout. */
    boolean awaitClosed() {
        try {
            while (socket.getInputStream().read(readBuffer) >= 0) {
                // drain: the gateway may answer before it closes
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the gateway
        }
    }

    @Override
    public void close() throws IOException {
        decoder.finishAndReleaseAll();
        socket.close();
    }
}
