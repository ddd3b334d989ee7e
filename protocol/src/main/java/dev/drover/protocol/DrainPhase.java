package dev.drover.protocol;

/** Progress of a drain as the agent reports it. */
public enum DrainPhase implements WireCode {
    DRAINING(1),
    DRAINED(2),
    CANCELLED(3);

    private final int code;

    DrainPhase(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }
}
