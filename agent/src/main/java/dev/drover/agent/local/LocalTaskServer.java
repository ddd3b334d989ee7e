package dev.drover.agent.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;

import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's end of the local socket {@code drover-run} reports to. One small thread per connected wrapper
 * (one per running task). A malformed line closes that connection only. A notice (eviction, drain deadline)
 * goes to every connected wrapper, and to wrappers that connect later while it stands.
 */
public final class LocalTaskServer implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(LocalTaskServer.class);
    private static final int MAX_CONNECTIONS = 256;

    /** What the agent does with task events. */
    public interface Listener {
        void onMessage(JsonNode message);
    }

    private final Path path;
    private final Listener listener;
    private final Set<OutputStream> clients = ConcurrentHashMap.newKeySet();
    private final AtomicReference<String> standingNotice = new AtomicReference<>();
    private ServerSocketChannel server;
    private volatile boolean closed;

    public LocalTaskServer(Path path, Listener listener) {
        this.path = path;
        this.listener = listener;
    }

    public void start() throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        Files.deleteIfExists(path); // a socket left by a previous agent process
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        // Render jobs run as a farm user, not as the agent's: the socket must be writable by them.
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
        Thread acceptor = new Thread(this::acceptLoop, "drover-local-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOGGER.atInfo().addKeyValue("socket", path).log("listening for drover-run");
    }

    /** Tells every running task, now and until cleared, why it will be retried elsewhere. */
    public void notice(String text) {
        standingNotice.set(text);
        String line = LocalMessages.notice(text);
        for (OutputStream out : clients) {
            write(out, line);
        }
    }

    /** The reason is gone (an eviction Azure cancelled): tasks that start from now on hear nothing. */
    public void clearNotice() {
        standingNotice.set(null);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                if (clients.size() >= MAX_CONNECTIONS) {
                    ch.close();
                    continue;
                }
                Thread t = new Thread(() -> serve(ch), "drover-local-task");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    LOGGER.atWarn().log("local socket accept failed: " + e.getMessage());
                }
            }
        }
    }

    private void serve(SocketChannel ch) {
        OutputStream out = ChannelIo.out(ch);
        clients.add(out);
        try (ch; BufferedReader in = new BufferedReader(new InputStreamReader(ChannelIo.in(ch),
                StandardCharsets.UTF_8), 8192)) {
            String notice = standingNotice.get();
            if (notice != null) {
                write(out, LocalMessages.notice(notice));
            }
            String line;
            while ((line = readBoundedLine(in)) != null) {
                listener.onMessage(LocalMessages.parse(line));
            }
        } catch (IOException | IllegalArgumentException e) {
            LOGGER.atWarn().log("drover-run connection dropped: " + e.getMessage());
        } finally {
            clients.remove(out);
        }
    }

    private static String readBoundedLine(BufferedReader in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return sb.toString();
            }
            if (sb.length() >= LocalMessages.MAX_LINE) {
                throw new IllegalArgumentException("line longer than " + LocalMessages.MAX_LINE);
            }
            sb.append((char) c);
        }
        return sb.length() > 0 ? sb.toString() : null;
    }

    private static void write(OutputStream out, String line) {
        try {
            synchronized (out) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            // the wrapper went away; its reader thread cleans up
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        if (server != null) {
            server.close();
        }
        Files.deleteIfExists(path);
    }
}
