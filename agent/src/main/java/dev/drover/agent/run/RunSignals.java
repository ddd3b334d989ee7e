package dev.drover.agent.run;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * SIGTERM, SIGINT and SIGHUP for drover-run, handled from the first instant of {@code main}: a signal that
 * arrives before the render has started means the render is never started (drover-run exits 128+n); one
 * that arrives later goes to the render's whole group, with KILL after a grace period if it is ignored.
 * Starting the render and receiving a signal are serialised by one lock, so none can fall in between.
 */
final class RunSignals {
    static final long TERM_GRACE_MILLIS = 30_000;
    private static final Object LOCK = new Object();
    private static int received; // number of the first signal received, 0 if none
    private static TaskProcess target;

    private RunSignals() {
    }

    /** Installs the handlers; call before anything else in main. */
    @SuppressWarnings("sunapi")
    static void install() {
        for (String name : List.of("TERM", "INT", "HUP")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> onSignal(sig.getName(), sig.getNumber()));
        }
    }

    /** What a render start does, given the lock; may throw as starting a process does. */
    interface Starter {
        TaskProcess start() throws IOException;
    }

    /** Starts the render unless a signal came first; returns null (and starts nothing) in that case. */
    static TaskProcess startUnlessSignalled(Starter starter) throws IOException {
        synchronized (LOCK) {
            if (received != 0) {
                return null;
            }
            target = starter.start();
            return target;
        }
    }

    /** The first signal's number, or 0. */
    static int received() {
        synchronized (LOCK) {
            return received;
        }
    }

    static void onSignal(String name, int number) {
        TaskProcess t;
        synchronized (LOCK) {
            if (received == 0) {
                received = number;
            }
            t = target;
        }
        if (t == null) {
            return; // nothing started yet, and now nothing will be
        }
        t.signalGroup(name);
        Thread killer = new Thread(() -> {
            try {
                if (!t.process().waitFor(TERM_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                    t.signalGroup("KILL");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "drover-run-grace");
        killer.setDaemon(true);
        killer.start();
    }
}
