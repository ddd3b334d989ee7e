package dev.drover.agent.helper;

import dev.drover.agent.runtask.ProcStat;
import dev.drover.agent.runtask.TaskHandle;
import java.util.concurrent.CompletableFuture;

/**
 * drover-run started by the helper. Its exit arrives as the helper's {@code exited} event; if the helper
 * connection is lost first, the exit is taken from /proc (the process gone), with its code unknown.
 */
final class HelperTaskHandle implements TaskHandle {
    private final HelperClient client;
    private final CompletableFuture<Void> exit = new CompletableFuture<>();
    private volatile long pid;
    private volatile long startTicks = -1;
    private volatile int exitCode = EXIT_UNKNOWN;

    HelperTaskHandle(HelperClient client) {
        this.client = client;
    }

    void started(long pid, long startTicks) {
        this.pid = pid;
        this.startTicks = startTicks;
    }

    void exited(int code) {
        exitCode = code;
        exit.complete(null);
    }

    /** The helper is gone (and stops the task): done once the process is. */
    void lost() {
        if (pid > 0 && startTicks >= 0 && ProcStat.startTicksOf(pid) == startTicks) {
            ProcessHandle.of(pid).ifPresentOrElse(h -> h.onExit().thenRun(() -> exit.complete(null)),
                    () -> exit.complete(null));
        } else {
            exit.complete(null);
        }
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public long startTicks() {
        return startTicks;
    }

    @Override
    public CompletableFuture<Void> onExit() {
        return exit;
    }

    @Override
    public int exitValue() {
        return exitCode;
    }

    @Override
    public void terminate() {
        if (!exit.isDone()) {
            client.signal(pid, startTicks, false);
        }
    }

    @Override
    public void kill() {
        if (!exit.isDone()) {
            client.signal(pid, startTicks, true);
        }
    }
}
