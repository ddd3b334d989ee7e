package dev.drover.protocol;

/** Health of one shared-storage mount, as the agent's last probe found it. */
public enum MountState implements WireCode {
    OK(1),
    SLOW(2),
    STALE(3),
    UNREACHABLE(4),
    NOT_MOUNTED(5);

    private final int code;

    MountState(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }
}
