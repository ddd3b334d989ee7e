package dev.drover.protocol;

/** Azure VM priority of the node, from IMDS `compute.priority`; UNKNOWN off Azure. */
public enum Priority implements WireCode {
    UNKNOWN(0),
    REGULAR(1),
    SPOT(2);

    private final int code;

    Priority(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }
}
