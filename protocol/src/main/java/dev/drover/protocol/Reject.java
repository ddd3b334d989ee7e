package dev.drover.protocol;

/**
 * Coordinator → agent: the Hello is refused; the coordinator closes the connection after sending this.
 *
 * @param attestationNonce extension 8: with ATTESTATION_REQUIRED, the nonce the agent must have its VM's attested
 *     document signed for (10 digits, as IMDS takes it); empty otherwise
 */
public record Reject(RejectReason reason, String detail, int minVersion, int maxVersion, String attestationNonce)
        implements Message {
    static final int EXT_ATTESTATION_NONCE = 8;

    public Reject {
        java.util.Objects.requireNonNull(reason, "reject.reason must not be null");
        Fields.text(detail, "reject.detail");
        Fields.range(minVersion, 1, 0xFFFF, "reject.minVersion");
        Fields.range(maxVersion, minVersion, 0xFFFF, "reject.maxVersion");
        Fields.text(attestationNonce, "reject.attestationNonce");
    }

    public Reject(RejectReason reason, String detail, int minVersion, int maxVersion) {
        this(reason, detail, minVersion, maxVersion, "");
    }

    @Override
    public MessageType type() {
        return MessageType.REJECT;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.code(reason).longString(detail, "reject.detail").u16(minVersion).u16(maxVersion);
        if (!attestationNonce.isEmpty()) {
            w.extension(EXT_ATTESTATION_NONCE, v -> v.shortString(attestationNonce, "reject.attestationNonce"));
        }
    }

    static Reject read(WireReader r) {
        RejectReason reason = r.code(RejectReason.class, "reject.reason");
        String detail = r.longString("reject.detail");
        int min = r.u16("reject.minVersion");
        int max = r.u16("reject.maxVersion");
        String[] nonce = {""};
        r.readExtensions("REJECT", (tag, v) -> {
            if (tag != EXT_ATTESTATION_NONCE) {
                return false;
            }
            nonce[0] = v.shortString("reject.attestationNonce");
            return true;
        });
        return new Reject(reason, detail, min, max, nonce[0]);
    }
}
