package dev.drover.agent.state;

/** The agent's state directory (or a file in it) cannot be used; the message names the path and why. */
public final class StateDirectoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StateDirectoryException(String message, Throwable cause) {
        super(message, cause);
    }

    public StateDirectoryException(String message) {
        super(message);
    }
}
