package dev.drover.coordinator.fleet;

import dev.drover.protocol.TaskRef;
import java.time.Instant;

/**
 * What the coordinator knows of one task on one node: live progress while it runs, the outcome after.
 *
 * @param exitCode null while running
 */
public record TaskView(TaskRef task, boolean running, float percent, int frame, int etaSeconds, Instant startedAt,
        Instant progressAt, Instant finishedAt, Integer exitCode, int signal, long runtimeMillis, long peakRssBytes) {

    static TaskView started(TaskRef task, Instant at) {
        return new TaskView(task, true, 0, -1, -1, at, null, null, null, 0, 0, -1);
    }

    TaskView progress(float percent, int frame, int eta, Instant at) {
        return new TaskView(task, true, Math.max(this.percent, percent), frame, eta, startedAt, at, null, null, 0, 0,
                -1);
    }

    TaskView finished(int exitCode, int signal, long runtimeMillis, long peakRssBytes, Instant at) {
        float done = exitCode == 0 ? 100f : percent;
        return new TaskView(task, false, done, frame, 0, startedAt, progressAt, at, exitCode, signal, runtimeMillis,
                peakRssBytes);
    }
}
