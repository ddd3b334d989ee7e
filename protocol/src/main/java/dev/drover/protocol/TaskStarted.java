package dev.drover.protocol;

/** Agent → coordinator, reliable: a task's command started on this node under process id {@code pid}. */
public record TaskStarted(long seq, TaskRef task, long startedAtMillis, int pid) implements Reliable {

    public TaskStarted {
        Fields.positive(seq, "taskStarted.seq");
        java.util.Objects.requireNonNull(task, "taskStarted.task must not be null");
        Fields.nonNegative(pid, "taskStarted.pid");
    }

    @Override
    public MessageType type() {
        return MessageType.TASK_STARTED;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq);
        task.write(w);
        w.i64(startedAtMillis).i32(pid);
    }

    static TaskStarted read(WireReader r) {
        return new TaskStarted(r.i64("taskStarted.seq"), TaskRef.read(r), r.i64("taskStarted.startedAtMillis"),
                r.i32("taskStarted.pid"));
    }
}
