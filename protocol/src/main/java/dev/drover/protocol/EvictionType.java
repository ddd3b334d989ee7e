package dev.drover.protocol;

/** The Scheduled Events `EventType` values (specs/azure.md §1.2). Only PREEMPT and TERMINATE mean the VM is going away. */
public enum EvictionType implements WireCode {
    PREEMPT(1),
    TERMINATE(2),
    FREEZE(3),
    REBOOT(4),
    REDEPLOY(5);

    private final int code;

    EvictionType(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }
}
