package dev.drover.coordinator.tractor;

/** The engine answered with an error, garbage, or not at all. */
public final class TractorException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public TractorException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** HTTP status, or 0 for a timeout, a refused connection or an unreadable reply. */
    public int status() {
        return status;
    }
}
