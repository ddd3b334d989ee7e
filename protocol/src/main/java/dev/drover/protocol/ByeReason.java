package dev.drover.protocol;

/** Why a peer is closing the session on purpose. */
public enum ByeReason implements WireCode {
    SHUTDOWN(1),
    DRAINED(2),
    EVICTED(3),
    PROTOCOL_ERROR(4),
    SUPERSEDED(5),
    IDLE_TIMEOUT(6);

    private final int code;

    ByeReason(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }
}
