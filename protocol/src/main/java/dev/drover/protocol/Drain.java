package dev.drover.protocol;

/**
 * Coordinator → agent, reliable: stop taking work. ON_COMPLETION waits for running tasks; DEADLINE stops them
 * at {@code deadlineMillis}; CANCEL ends an earlier drain.
 *
 * @param deadlineMillis epoch millis, required for DEADLINE, 0 otherwise
 */
public record Drain(long seq, DrainMode mode, long deadlineMillis, String reason) implements Reliable {

    public Drain {
        Fields.positive(seq, "drain.seq");
        java.util.Objects.requireNonNull(mode, "drain.mode must not be null");
        Fields.nonNegative(deadlineMillis, "drain.deadlineMillis");
        if ((mode == DrainMode.DEADLINE) != (deadlineMillis > 0)) {
            throw new IllegalArgumentException("drain.deadlineMillis must be set exactly when mode is DEADLINE");
        }
        Fields.text(reason, "drain.reason");
    }

    @Override
    public MessageType type() {
        return MessageType.DRAIN;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq).code(mode).i64(deadlineMillis).longString(reason, "drain.reason");
    }

    static Drain read(WireReader r) {
        return new Drain(r.i64("drain.seq"), r.code(DrainMode.class, "drain.mode"), r.i64("drain.deadlineMillis"),
                r.longString("drain.reason"));
    }
}
