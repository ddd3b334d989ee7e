package dev.drover.agent.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drover.agent.local.ChannelIo;
import dev.drover.agent.local.LocalMessages;
import dev.drover.agent.run.progress.Progress;
import dev.drover.protocol.TaskRef;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The wrapper's line to the local agent. Everything happens on its own thread, so a missing, slow or dead
 * agent can never block, slow or fail the render: events (start, finish) wait in a small bounded queue;
 * progress is one slot, latest value wins, set without a lock by the output pump and sent at most
 * {@link #PROGRESS_PER_SECOND} times a second whatever the renderer prints. Connecting to a Unix socket
 * fails at once when no agent listens; then it is retried every second, and at the end the wrapper waits
 * only while an agent is actually there.
 */
final class LocalAgentClient implements AutoCloseable {
    static final int PROGRESS_PER_SECOND = 2;
    private static final long PROGRESS_INTERVAL_MILLIS = 1000 / PROGRESS_PER_SECOND;
    private static final long RETRY_MILLIS = 1000;
    private static final int MAX_QUEUED = 64;

    private final Path socket;
    private final Consumer<String> onNotice;
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private final AtomicReference<Stamped> latestProgress = new AtomicReference<>();
    private Stamped sentProgress;
    private long lastProgressMillis;
    private boolean closing;
    private boolean connected;
    private boolean gaveUp; // closing, and the agent could not be reached: nothing will be delivered
    private final Thread sender;

    private record Stamped(TaskRef task, Progress progress, long atMillis) {
    }

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

    /** From the output pump: no lock, no wake-up; the sender picks the latest value up on its own beat. */
    void progress(TaskRef task, Progress p) {
        latestProgress.set(new Stamped(task, p, System.currentTimeMillis()));
    }

    /** The next line to send, or null when closing with nothing left; waits at most until progress is due. */
    private synchronized String next() throws InterruptedException {
        while (true) {
            if (!queue.isEmpty()) {
                // keep order: a progress older than a queued event must not overtake it, so flush events first
                return queue.peekFirst();
            }
            long now = System.currentTimeMillis();
            Stamped p = latestProgress.get();
            long due = lastProgressMillis + PROGRESS_INTERVAL_MILLIS;
            if (p != null && p != sentProgress && now >= due) {
                sentProgress = p;
                lastProgressMillis = now;
                return LocalMessages.progress(p.task(), p.progress().percent(), p.progress().frame(),
                        p.progress().etaSeconds(), p.atMillis());
            }
            if (closing) {
                return null;
            }
            wait(p != null && p != sentProgress ? Math.max(1, due - now) : PROGRESS_INTERVAL_MILLIS);
        }
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
                setConnected(true);
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
                    connected = false;
                    if (closing) {
                        gaveUp = true; // the last try, made at once when closing, failed too
                        notifyAll();
                        return;
                    }
                    try {
                        wait(RETRY_MILLIS); // agent absent or restarting: try again; close() wakes us at once
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void setConnected(boolean value) {
        connected = value;
        notifyAll();
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

    /**
     * Closes, waiting up to {@code millis} for queued events to go out, but only while an agent is there:
     * with no agent listening this returns at once. Returns whether everything was delivered.
     */
    boolean closeAndDrain(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (this) {
            closing = true;
            notifyAll(); // wakes a sender waiting to retry, so it makes one last attempt now
            while (!queue.isEmpty() && !gaveUp && System.currentTimeMillis() < deadline) {
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
