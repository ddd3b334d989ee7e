package dev.drover.agent.runtask;

import java.util.concurrent.CompletableFuture;

/**
 * One started drover-run, as {@link TaskLauncher} needs it: a child of this process ({@link LocalTaskStarter})
 * or of the root helper, which reports its exit over its socket.
 */
public interface TaskHandle {
    /** Exit code when the real one cannot be known (the helper went away before it saw the exit). */
    int EXIT_UNKNOWN = -1;

    long pid();

    /** The process's start time in clock ticks (proc(5)), recorded with the pid in the task ledger. */
    long startTicks();

    /** Completes once drover-run has exited. */
    CompletableFuture<Void> onExit();

    /** drover-run's exit code, once {@link #onExit} has completed; {@link #EXIT_UNKNOWN} if nobody saw it. */
    int exitValue();

    /** SIGTERM to drover-run, which passes it to the task's process group and KILLs after its own grace. */
    void terminate();

    /** SIGKILL to drover-run; its guard then KILLs the task's group. */
    void kill();
}
