package dev.drover.protocol;

/**
 * Agent → coordinator, reliable: a task's command ended.
 *
 * @param exitCode the process exit code, or 128+signal when it died of a signal (shell convention)
 * @param signal the signal that ended it, or 0
 * @param peakRssBytes peak resident memory of the task's process group, or -1 when unknown
 */
public record TaskFinished(long seq, TaskRef task, int exitCode, int signal, long runtimeMillis, long peakRssBytes,
        long finishedAtMillis) implements Reliable {

    /**
     * The exit code of a task the agent refused or could not start (draining, evicting, no drover-run): it
     * never ran, so the built-in queue requeues it without counting an attempt.
     */
    public static final int NOT_STARTED = -2;

    public TaskFinished {
        Fields.positive(seq, "taskFinished.seq");
        java.util.Objects.requireNonNull(task, "taskFinished.task must not be null");
        Fields.range(signal, 0, 255, "taskFinished.signal");
        Fields.nonNegative(runtimeMillis, "taskFinished.runtimeMillis");
        if (peakRssBytes < -1) {
            throw new IllegalArgumentException("taskFinished.peakRssBytes must be >= -1, got " + peakRssBytes);
        }
    }

    @Override
    public MessageType type() {
        return MessageType.TASK_FINISHED;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq);
        task.write(w);
        w.i32(exitCode).u8(signal).i64(runtimeMillis).i64(peakRssBytes).i64(finishedAtMillis);
    }

    static TaskFinished read(WireReader r) {
        return new TaskFinished(r.i64("taskFinished.seq"), TaskRef.read(r), r.i32("taskFinished.exitCode"),
                r.u8("taskFinished.signal"), r.i64("taskFinished.runtimeMillis"), r.i64("taskFinished.peakRssBytes"),
                r.i64("taskFinished.finishedAtMillis"));
    }
}
