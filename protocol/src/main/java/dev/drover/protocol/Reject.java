package dev.drover.protocol;

/** Coordinator → agent: the Hello is refused; the coordinator closes the connection after sending this. */
public record Reject(RejectReason reason, String detail, int minVersion, int maxVersion) implements Message {

    public Reject {
        java.util.Objects.requireNonNull(reason, "reject.reason must not be null");
        Fields.text(detail, "reject.detail");
        Fields.range(minVersion, 1, 0xFFFF, "reject.minVersion");
        Fields.range(maxVersion, minVersion, 0xFFFF, "reject.maxVersion");
    }

    @Override
    public MessageType type() {
        return MessageType.REJECT;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.code(reason).longString(detail, "reject.detail").u16(minVersion).u16(maxVersion);
    }

    static Reject read(WireReader r) {
        return new Reject(r.code(RejectReason.class, "reject.reason"), r.longString("reject.detail"),
                r.u16("reject.minVersion"), r.u16("reject.maxVersion"));
    }
}
