package dev.drover.coordinator.store;

/** The coordinator's state store could not be opened, read or written; the message names the file. */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
