package dev.drover.protocol;

/** Either direction: the sender is closing the session on purpose; the receiver should not treat it as lost. */
public record Bye(ByeReason reason, String detail) implements Message {

    public Bye {
        java.util.Objects.requireNonNull(reason, "bye.reason must not be null");
        Fields.text(detail, "bye.detail");
    }

    @Override
    public MessageType type() {
        return MessageType.BYE;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.code(reason).longString(detail, "bye.detail");
    }

    static Bye read(WireReader r) {
        return new Bye(r.code(ByeReason.class, "bye.reason"), r.longString("bye.detail"));
    }
}
