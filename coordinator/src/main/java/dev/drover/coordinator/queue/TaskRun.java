package dev.drover.coordinator.queue;

import dev.drover.protocol.TaskRef;
import java.time.Instant;

/**
 * One ended run of a built-in queue task: where it ran, from when the coordinator sent it to when the
 * coordinator applied its end, and how it ended. The store keeps these so a day of the farm can be exported
 * as a simulator trace (simulate/TraceExport).
 *
 * @param exitCode the task's exit code, or null when the run was taken away (requeued) before it reported
 */
public record TaskRun(TaskRef ref, String node, String pool, String serviceKey, Instant startedAt,
        Instant finishedAt, Integer exitCode, Outcome outcome, String detail) {

    /** How a run ended. */
    public enum Outcome {
        /** Exit code 0: the task is done. */
        DONE,
        /** A non-zero exit code: retried, or given up after {@link BuiltInQueue#MAX_ATTEMPTS}. */
        FAILED,
        /** The agent did not start it (draining, misconfigured): no attempt counted. */
        REFUSED,
        /** Taken off its node (eviction, loss, eject) and queued again; {@code detail} says why. */
        REQUEUED
    }

    public TaskRun {
        if (finishedAt.isBefore(startedAt)) {
            finishedAt = startedAt; // a clock step back must not give a negative runtime
        }
    }
}
