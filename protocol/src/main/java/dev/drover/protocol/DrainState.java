package dev.drover.protocol;

/** Agent → coordinator, reliable: where a drain stands; DRAINED means no task runs and none will start. */
public record DrainState(long seq, DrainPhase phase, int runningTasks) implements Reliable {

    public DrainState {
        Fields.positive(seq, "drainState.seq");
        java.util.Objects.requireNonNull(phase, "drainState.phase must not be null");
        Fields.range(runningTasks, 0, 0xFFFF, "drainState.runningTasks");
    }

    @Override
    public MessageType type() {
        return MessageType.DRAIN_STATE;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq).code(phase).u16(runningTasks);
    }

    static DrainState read(WireReader r) {
        return new DrainState(r.i64("drainState.seq"), r.code(DrainPhase.class, "drainState.phase"),
                r.u16("drainState.runningTasks"));
    }
}
