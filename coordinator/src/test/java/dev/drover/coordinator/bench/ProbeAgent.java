package dev.drover.coordinator.bench;

import dev.drover.protocol.AgentState;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.MessageCodec;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.ProtocolLimits;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.TaskRef;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.List;

/**
 * The benchmark's probe: one more agent, on a plain socket, whose progress value is timed from the moment it
 * is written until {@code GET /api/nodes/{id}} shows it. Heartbeats every second keep it alive; whatever the
 * coordinator sends is read and dropped.
 */
final class ProbeAgent implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final Thread reader;
    private final Thread beater;

    ProbeAgent(int port, String token, String nodeId) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        send(new Hello(1, 1, "probe", NodeIdentity.local(nodeId, "bench"), 1, 0, token, "", 0));
        reader = daemon(() -> {
            byte[] buf = new byte[8192];
            try {
                while (socket.getInputStream().read(buf) >= 0) {
                    // dropped: Welcome, keepalive Acks
                }
            } catch (IOException e) {
                // closed
            }
        });
        beater = daemon(() -> {
            try {
                while (!socket.isClosed()) {
                    send(new Heartbeat(System.currentTimeMillis(), AgentState.BUSY, 1, HostMetrics.UNKNOWN, List.of(),
                            false, 0));
                    Thread.sleep(1000);
                }
            } catch (IOException | InterruptedException e) {
                // closed
            }
        });
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r, "probe-agent");
        t.setDaemon(true);
        t.start();
        return t;
    }

    synchronized void send(Message m) throws IOException {
        ByteBuf buf = Unpooled.buffer();
        try {
            MessageCodec.encode(m, buf, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            out.write(bytes);
            out.flush();
        } finally {
            buf.release();
        }
    }

    /** Progress of task 9/{@code tid}/1; within one task it must rise: the coordinator never shows it fall. */
    void progress(int tid, float percent) throws IOException {
        send(new TaskProgress(new TaskRef(9, tid, 1), percent, 1, 60, System.currentTimeMillis()));
    }

    @Override
    public void close() throws IOException {
        socket.close();
        beater.interrupt();
        reader.interrupt();
    }
}
