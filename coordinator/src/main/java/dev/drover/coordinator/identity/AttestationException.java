package dev.drover.coordinator.identity;

/** An attested document that does not prove what it must; the message says why (never a secret). */
public final class AttestationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AttestationException(String message) {
        super(message);
    }
}
