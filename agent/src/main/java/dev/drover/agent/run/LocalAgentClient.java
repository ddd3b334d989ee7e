package dev.drover.agent.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drover.agent.local.ChannelIo;
import dev.drover.agent.local.LocalMessages;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;

import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The wrapper's line to the local agent. Everything happens on its own thread, so a missing, slow or dead
 * agent can never block, slow or fail the render: events wait in a small bounded queue (progress is
 * latest-value), the socket is retried every second, and at the end the wrapper waits at most a moment.
 */
final class LocalAgentClient implements AutoCloseable {
    private static final int MAX_QUEUED = 64;

    private final Path socket;
    private final Consumer<String> onNotice;
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private String latestProgress;
    private boolean closing;
    private final Thread sender;

    LocalAgentClient(Path socket, Consumer<String> onNotice) {
        this.socket = socket;
        this.onNotice = onNotice;
        this.sender = new Thread(this::run, "drover-run-agent");
        sender.setDaemon(true);
        sender.start();
    }

    synchronized void send(String line) {
        if (queue.size() == MAX_QUEUED) {
            queue.removeFirst();
        }
        queue.addLast(line);
        notifyAll();
    }

    synchronized void progress(String line) {
        latestProgress = line;
        notifyAll();
    }

    private synchronized String next() throws InterruptedException {
        while (queue.isEmpty() && latestProgress == null && !closing) {
            wait();
        }
        if (!queue.isEmpty()) {
            // keep order: a progress older than a queued event must not overtake it, so flush events first
            return queue.peekFirst();
        }
        String p = latestProgress;
        latestProgress = null;
        return p;
    }

    private synchronized void sent(String line) {
        if (!queue.isEmpty() && queue.peekFirst() == line) {
            queue.removeFirst();
        }
        notifyAll();
    }

    private void run() {
        while (true) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                startReader(ch);
                OutputStream out = ChannelIo.out(ch);
                while (true) {
                    String line = next();
                    if (line == null) {
                        return; // closing and nothing left
                    }
                    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    sent(line);
                }
            } catch (IOException e) {
                synchronized (this) {
                    if (closing) {
                        return;
                    }
                }
                try {
                    Thread.sleep(1000); // agent absent or restarting: try again, the render goes on regardless
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void startReader(SocketChannel ch) {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(ChannelIo.in(ch),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    JsonNode n = LocalMessages.parse(line);
                    if ("notice".equals(n.path("type").asText())) {
                        onNotice.accept(n.path("text").asText());
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                // the agent went away or spoke nonsense; the sender reconnects
            }
        }, "drover-run-notices");
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits up to {@code millis} for queued events to go out; returns whether everything was delivered. */
    boolean drain(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (this) {
            while (!queue.isEmpty() && System.currentTimeMillis() < deadline) {
                wait(Math.max(1, deadline - System.currentTimeMillis()));
            }
            return queue.isEmpty();
        }
    }

    @Override
    public synchronized void close() {
        closing = true;
        notifyAll();
    }
}
