package dev.drover.coordinator.fuzz;

import dev.drover.protocol.FrameDecoder;
import dev.drover.protocol.Message;
import dev.drover.protocol.Pong;
import dev.drover.protocol.ProtocolLimits;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * One fuzzing connection to a plaintext gateway: writes a case's bytes, then learns whether the gateway
 * survived it (a Ping answered by its Pong) or closed the connection. A gateway that neither answers nor
 * closes within the read timeout is a finding ({@link Stalled}).
 */
final class FuzzSession implements AutoCloseable {
    /** The gateway neither answered nor closed: it is stuck on this connection. */
    static final class Stalled extends IOException {
        Stalled(String what) {
            super(what);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());
    private final byte[] buffer = new byte[16_384];
    private boolean closed;

    FuzzSession(String from, int port, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(from, 0));
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
        socket.setSoTimeout(readTimeoutMillis);
        out = socket.getOutputStream();
        in = socket.getInputStream();
    }

    /** Writes bytes; false if the gateway had closed the connection already. */
    boolean write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException e) {
            closed = true;
            return false;
        }
    }

    /** The next message; null once the gateway has closed the connection. */
    Message read() throws IOException {
        while (!closed) {
            Object m;
            try {
                m = decoder.readInbound();
            } catch (RuntimeException e) {
                throw new IOException("the gateway sent an undecodable frame", e);
            }
            if (m != null) {
                return (Message) m;
            }
            int n;
            try {
                n = in.read(buffer);
            } catch (SocketTimeoutException e) {
                throw new Stalled("no answer and no close within " + socket.getSoTimeout() + " ms");
            } catch (IOException reset) {
                n = -1;
            }
            if (n < 0) {
                closed = true;
                return null;
            }
            try {
                decoder.writeInbound(Unpooled.copiedBuffer(buffer, 0, n));
            } catch (RuntimeException e) {
                throw new IOException("the gateway sent an undecodable frame", e);
            }
        }
        return null;
    }

    /** Reads until the Pong for {@code nonce}: true, or false when the gateway closed the connection first. */
    boolean awaitPong(long nonce) throws IOException {
        Message m;
        while ((m = read()) != null) {
            if (m instanceof Pong pong && pong.nonce() == nonce) {
                return true;
            }
        }
        return false;
    }

    /** Says nothing more (FIN) and waits until the gateway closes. */
    void finish() throws IOException {
        if (!closed) {
            try {
                socket.shutdownOutput();
            } catch (IOException alreadyClosed) {
                closed = true;
            }
        }
        while (read() != null) {
            // drain what the gateway still says (a Reject, a Bye) until it closes
        }
    }

    boolean closed() {
        return closed;
    }

    /**
     * Whether the gateway will wait for more bytes after these: they end inside a length field, or inside a
     * frame whose length the decoder accepts. Then a Ping would only feed that frame's body.
     */
    static boolean leavesFrameOpen(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            if (b.remaining() < 4) {
                return true;
            }
            int length = b.getInt();
            if (length < 0 || length > ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH) {
                return false; // refused as soon as the length is read
            }
            if (b.remaining() < length) {
                return true;
            }
            b.position(b.position() + length);
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        decoder.finishAndReleaseAll();
        socket.close();
    }
}
