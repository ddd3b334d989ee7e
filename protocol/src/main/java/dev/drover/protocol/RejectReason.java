package dev.drover.protocol;

/** Why the coordinator refused a Hello. */
public enum RejectReason implements WireCode {
    UNSUPPORTED_VERSION(1),
    BAD_CREDENTIAL(2),
    INVALID_HELLO(3),
    SHUTTING_DOWN(4),
    OVERLOADED(5);

    private final int code;

    RejectReason(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }
}
