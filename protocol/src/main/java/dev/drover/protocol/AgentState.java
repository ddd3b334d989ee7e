package dev.drover.protocol;

/** The agent's own view of itself, reported in every heartbeat. */
public enum AgentState implements WireCode {
    IDLE(1),
    BUSY(2),
    DRAINING(3),
    DRAINED(4),
    EVICTING(5),
    STOPPING(6);

    private final int code;

    AgentState(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }
}
