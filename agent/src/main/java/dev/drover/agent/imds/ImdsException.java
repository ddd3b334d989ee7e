package dev.drover.agent.imds;

/**
 * IMDS misbehaved: an error status, a timeout, or a body that is not what the documented schema says.
 * The agent backs off and carries on; it never exits because of this (specs/azure.md §1.9).
 */
public final class ImdsException extends Exception {
    private static final long serialVersionUID = 1L;

    /** HTTP status, or 0 when there was no usable response (timeout, connection refused, garbage). */
    private final int status;

    public ImdsException(int status, String message) {
        super(message);
        this.status = status;
    }

    public ImdsException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
    }

    public int status() {
        return status;
    }

    /** IMDS said "slow down" (429) rather than "broken". */
    public boolean throttled() {
        return status == 429;
    }
}
