package dev.drover.coordinator.scaling;

import java.util.List;

/**
 * The queue's work as runtime estimates need it: ready tasks per job and service key, and how long each running
 * task has run, with the estimator fed by the tasks that finished. The built-in queue and the simulator both
 * hand this to {@link ScalingInputs#work}; a queue that cannot tell (today: Tractor) hands {@link #NONE}.
 */
public record QueuedWork(List<Ready> ready, List<Running> running, RuntimeEstimator estimator) {
    public static final QueuedWork NONE = new QueuedWork(List.of(), List.of(), null);

    public QueuedWork {
        ready = List.copyOf(ready);
        running = List.copyOf(running);
    }

    /** {@code count} ready tasks of {@code job}, keyed {@code service} (lower-case). */
    public record Ready(String job, String service, int count) {
    }

    /** One running task of {@code job}, keyed {@code service}, running for {@code elapsedSeconds} so far. */
    public record Running(String job, String service, double elapsedSeconds) {
    }
}
