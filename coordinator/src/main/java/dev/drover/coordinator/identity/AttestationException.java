package dev.drover.coordinator.identity;

/** An attested document that does not prove what it must; the message says why (never a secret). */
public class AttestationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AttestationException(String message) {
        super(message);
    }

    /**
     * The document is good, but whether its VM belongs to the pool's scale set cannot be told yet (ARM has not
     * listed it, or is failing): not admitted now, and the node is asked to prove itself again later.
     */
    public static final class Unconfirmed extends AttestationException {
        private static final long serialVersionUID = 1L;

        public Unconfirmed(String message) {
            super(message);
        }
    }
}
