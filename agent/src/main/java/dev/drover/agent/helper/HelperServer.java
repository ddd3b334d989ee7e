package dev.drover.agent.helper;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root helper's Unix socket. Serves only the agent's user, checked by the kernel's peer credentials
 * (SO_PEERCRED) on every connection, in a directory only root and the agent's group can enter. One thread
 * reads each connection; mounts and signals run on a small pool (a mount may take minutes), task starts on
 * the tasks' own thread. A bad line, oversized ones included, gets an error reply and harms nobody else.
 */
public final class HelperServer implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(HelperServer.class);
    private static final int MAX_CONNECTIONS = 16;

    private final Path path;
    private final UserPrincipal agent;
    private final GroupPrincipal agentGroup;
    private final HelperService service;
    private final RateLimitedLog refusals = new RateLimitedLog(LOGGER, 1000);
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    /** Up to 8 at once (a mount may hang for minutes: signals must not wait behind it), idle threads end. */
    private final ThreadPoolExecutor workers = new ThreadPoolExecutor(8, 8, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(256), r -> {
                Thread t = new Thread(r, "drover-helper-work");
                t.setDaemon(true);
                return t;
            });
    private ServerSocketChannel server;
    private volatile boolean closed;

    /**
     * @param agent the only peer served
     * @param agentGroup the group given the socket's directory, so the agent can reach the socket at all;
     *     null leaves the directory root's own (tests that connect as root)
     */
    public HelperServer(Path path, UserPrincipal agent, GroupPrincipal agentGroup, HelperService service) {
        this.path = path;
        this.agent = agent;
        this.agentGroup = agentGroup;
        this.service = service;
        workers.allowCoreThreadTimeOut(true);
    }

    public void start() throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
        if (agentGroup != null) {
            Files.getFileAttributeView(dir, PosixFileAttributeView.class).setGroup(agentGroup);
        }
        Files.deleteIfExists(path); // left by a previous helper process
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        if (agentGroup != null) {
            Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(agentGroup);
        }
        Thread acceptor = new Thread(this::acceptLoop, "drover-helper-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOGGER.atInfo().addKeyValue("socket", path).addKeyValue("agentUser", agent.getName())
                .log("helper listening for the agent");
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch = null;
            try {
                ch = server.accept();
                UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
                if (!agent.equals(peer.user())) {
                    refusals.log("connection refused: peer user " + peer.user().getName() + " is not the agent's ("
                            + agent.getName() + ")");
                    ch.close();
                    continue;
                }
                if (open.size() >= MAX_CONNECTIONS) {
                    refusals.log("connection refused: " + MAX_CONNECTIONS + " agent connections open already");
                    ch.close();
                    continue;
                }
                open.add(ch);
                SocketChannel accepted = ch;
                Thread t = new Thread(() -> serve(accepted), "drover-helper-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                closeQuietly(ch);
                if (!closed) {
                    LOGGER.atWarn().log("helper accept failed: " + e.getMessage());
                }
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private void serve(SocketChannel ch) {
        HelperConnection conn = new HelperConnection(ch);
        LOGGER.atInfo().addKeyValue("connection", conn.number()).log("agent connected");
        try (ch; InputStream in = new BufferedInputStream(dev.drover.agent.local.ChannelIo.in(ch), 8192)) {
            while (true) {
                byte[] line;
                try {
                    line = readLine(in);
                } catch (LineTooLong e) {
                    conn.send(HelperProtocol.error(0, e.getMessage()));
                    refusals.log("bad request from the agent: " + e.getMessage());
                    continue;
                }
                if (line == null) {
                    break;
                }
                handle(conn, new String(line, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            LOGGER.atDebug().addKeyValue("connection", conn.number()).log("agent connection ended: " + e.getMessage());
        } finally {
            open.remove(ch);
            conn.close();
            service.connectionClosed(conn);
        }
    }

    private void handle(HelperConnection conn, String line) {
        HelperProtocol.Request request;
        try {
            request = HelperProtocol.parse(line);
        } catch (HelperProtocol.BadRequest e) {
            conn.send(HelperProtocol.error(e.id(), e.getMessage()));
            refusals.log("bad request from the agent: " + e.getMessage());
            return;
        }
        if (request instanceof HelperProtocol.Start start) {
            service.start(conn, start); // on the tasks' own thread, answers by itself
            return;
        }
        try {
            workers.execute(() -> conn.send(service.handle(request)));
        } catch (RejectedExecutionException e) {
            conn.send(HelperProtocol.error(request.id(), "helper busy: too many requests waiting"));
        }
    }

    private static final class LineTooLong extends IOException {
        private static final long serialVersionUID = 1L;

        LineTooLong(String message) {
            super(message);
        }
    }

    /**
     * One line without its newline, or null at the end. A line longer than the limit is read to its end and
     * thrown away ({@link LineTooLong}), so the next line is read whole and the refusal can be answered: closing
     * with unread bytes would reset the connection, answer included. Give it a buffered stream: it reads a byte
     * at a time so that it never holds more than the limit.
     */
    static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        boolean tooLong = false;
        while (true) {
            int c = in.read();
            if (c < 0 || c == '\n') {
                if (tooLong) {
                    throw new LineTooLong("line longer than " + HelperProtocol.MAX_LINE_BYTES + " bytes");
                }
                return c < 0 && buf.size() == 0 ? null : buf.toByteArray();
            }
            if (buf.size() >= HelperProtocol.MAX_LINE_BYTES) {
                tooLong = true;
                buf.reset();
            }
            if (!tooLong) {
                buf.write(c);
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        if (server != null) {
            server.close();
        }
        for (SocketChannel ch : open) {
            ch.close();
        }
        workers.shutdownNow();
        Files.deleteIfExists(path);
    }

    /** One agent connection: replies and events are written whole, by whichever thread has them. */
    static final class HelperConnection {
        private static final java.util.concurrent.atomic.AtomicLong NUMBERS = new java.util.concurrent.atomic.AtomicLong();
        private final long number = NUMBERS.incrementAndGet();
        private final OutputStream out;
        private volatile boolean gone;

        HelperConnection(SocketChannel ch) {
            this.out = dev.drover.agent.local.ChannelIo.out(ch);
        }

        /** For tests of the service alone: replies go nowhere. */
        HelperConnection() {
            this.out = OutputStream.nullOutputStream();
        }

        long number() {
            return number;
        }

        boolean gone() {
            return gone;
        }

        void send(String line) {
            if (gone) {
                return;
            }
            try {
                synchronized (out) {
                    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException e) {
                gone = true; // the reader sees the end too and cleans up
            }
        }

        void close() {
            gone = true;
        }
    }
}
