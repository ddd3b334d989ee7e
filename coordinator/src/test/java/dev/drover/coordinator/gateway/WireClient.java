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
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/** A blocking test client that speaks frames over a plain socket, or sends whatever bytes a test wants. */
final class WireClient implements AutoCloseable {
    private final Socket socket;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());

    WireClient(int port) throws IOException {
        this(port, 5000);
    }

    /** @param readTimeoutMillis how long {@link #receive} waits for a frame before it throws */
    WireClient(int port, int readTimeoutMillis) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(readTimeoutMillis);
    }

    void send(Message m) throws IOException {
        ByteBuf buf = Unpooled.buffer();
        MessageCodec.encode(m, buf, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        sendRaw(bytes);
    }

    void sendRaw(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /** The next message, or null if the server closed the connection first. */
    Message receive() throws IOException {
        while (true) {
            Object m = decoder.readInbound();
            if (m != null) {
                return (Message) m;
            }
            byte[] buf = new byte[4096];
            int n;
            try {
                n = socket.getInputStream().read(buf);
            } catch (SocketException e) {
                return null;
            }
            if (n < 0) {
                return null;
            }
            decoder.writeInbound(Unpooled.wrappedBuffer(buf, 0, n));
        }
    }

    /** True once the server has closed the connection (reading past any frames it sent first). */
    boolean closedByServer() throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // drain, e.g. a Bye
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        decoder.finishAndReleaseAll();
        socket.close();
    }
}
