package dev.drover.protocol;

/** Coordinator → agent, reliable: stop a task started by {@link RunTask} (SIGTERM to its process group). */
public record CancelTask(long seq, TaskRef task, String reason) implements Reliable {

    public CancelTask {
        Fields.positive(seq, "cancelTask.seq");
        java.util.Objects.requireNonNull(task, "cancelTask.task must not be null");
        Fields.text(reason, "cancelTask.reason");
    }

    @Override
    public MessageType type() {
        return MessageType.CANCEL_TASK;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq);
        task.write(w);
        w.longString(reason, "cancelTask.reason");
    }

    static CancelTask read(WireReader r) {
        return new CancelTask(r.i64("cancelTask.seq"), TaskRef.read(r), r.longString("cancelTask.reason"));
    }
}
