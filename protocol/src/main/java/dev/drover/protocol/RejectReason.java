package dev.drover.protocol;

/** Why the coordinator refused a Hello. */
public enum RejectReason implements WireCode {
    UNSUPPORTED_VERSION(1),
    BAD_CREDENTIAL(2),
    INVALID_HELLO(3),
    SHUTTING_DOWN(4),
    OVERLOADED(5),
    /** The node must prove which VM it is: fetch the attested document for the nonce in the Reject, then retry. */
    ATTESTATION_REQUIRED(6);

    private final int code;

    RejectReason(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }
}
