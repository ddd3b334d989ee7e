package dev.drover.protocol;

/**
 * Agent → coordinator, latest-value: how far a running task is. Coalesced per task; only the newest value
 * is ever sent.
 *
 * @param frame the frame being rendered, or -1 when unknown
 * @param etaSeconds the renderer's own estimate of time remaining, or -1 when unknown
 */
public record TaskProgress(TaskRef task, float percent, int frame, int etaSeconds, long atMillis)
        implements Message {

    public TaskProgress {
        java.util.Objects.requireNonNull(task, "taskProgress.task must not be null");
        Fields.range(percent, 0f, 100f, "taskProgress.percent");
        if (frame < -1) {
            throw new IllegalArgumentException("taskProgress.frame must be >= -1, got " + frame);
        }
        if (etaSeconds < -1) {
            throw new IllegalArgumentException("taskProgress.etaSeconds must be >= -1, got " + etaSeconds);
        }
    }

    @Override
    public MessageType type() {
        return MessageType.TASK_PROGRESS;
    }

    @Override
    public void writeBody(WireWriter w) {
        task.write(w);
        w.f32(percent).i32(frame).i32(etaSeconds).i64(atMillis);
    }

    static TaskProgress read(WireReader r) {
        return new TaskProgress(TaskRef.read(r), r.f32("taskProgress.percent"), r.i32("taskProgress.frame"),
                r.i32("taskProgress.etaSeconds"), r.i64("taskProgress.atMillis"));
    }
}
