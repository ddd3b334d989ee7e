package dev.drover.protocol;

import java.util.List;

/**
 * Coordinator → agent, reliable: run a task. Used only by Drover's built-in queue when no Tractor engine is
 * present; under Tractor the blade takes work from the engine itself.
 *
 * @param argv the command and its arguments, run without a shell
 * @param env extra environment entries as {@code NAME=value}
 */
public record RunTask(long seq, TaskRef task, String serviceKey, List<String> argv, List<String> env,
        String workingDir) implements Reliable {

    public RunTask {
        Fields.positive(seq, "runTask.seq");
        java.util.Objects.requireNonNull(task, "runTask.task must not be null");
        Fields.text(serviceKey, "runTask.serviceKey");
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("runTask.argv must not be empty");
        }
        for (String e : env) {
            if (e.indexOf('=') < 1) {
                throw new IllegalArgumentException("runTask.env entry must be NAME=value, got '" + e + "'");
            }
        }
        Fields.text(workingDir, "runTask.workingDir");
    }

    @Override
    public MessageType type() {
        return MessageType.RUN_TASK;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq);
        task.write(w);
        w.shortString(serviceKey, "runTask.serviceKey")
                .list(argv, ProtocolLimits.MAX_LIST_ITEMS, "runTask.argv", (ww, a) -> ww.longString(a, "runTask.argv"))
                .list(env, ProtocolLimits.MAX_LIST_ITEMS, "runTask.env", (ww, e) -> ww.longString(e, "runTask.env"))
                .longString(workingDir, "runTask.workingDir");
    }

    static RunTask read(WireReader r) {
        return new RunTask(r.i64("runTask.seq"), TaskRef.read(r), r.shortString("runTask.serviceKey"),
                r.list(ProtocolLimits.MAX_LIST_ITEMS, "runTask.argv", rr -> rr.longString("runTask.argv")),
                r.list(ProtocolLimits.MAX_LIST_ITEMS, "runTask.env", rr -> rr.longString("runTask.env")),
                r.longString("runTask.workingDir"));
    }
}
