package dev.drover.protocol;

/** How a node drains: wait for running tasks, stop them at a deadline, or cancel an earlier drain. */
public enum DrainMode implements WireCode {
    ON_COMPLETION(1),
    DEADLINE(2),
    CANCEL(3);

    private final int code;

    DrainMode(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }
}
