package dev.drover.coordinator.gateway;

import dev.drover.protocol.Hello;
import dev.drover.protocol.ProtocolVersion;
import dev.drover.protocol.Reject;
import dev.drover.protocol.RejectReason;
import java.util.Optional;

/**
 * Whether a Hello is accepted, and if not the Reject that says why (PROTOCOL.md §6, "Handshake"). Pure.
 * Checked in this order so that an old agent always learns about versions first and an unauthenticated
 * peer learns nothing about what else is wrong with its Hello.
 */
final class HelloCheck {
    /** Longest stream id accepted (ids are the sender's choice; 64 leaves room for a UUID and a prefix). */
    static final int MAX_STREAM_ID = 64;

    private HelloCheck() {
    }

    /** The whole check for a coordinator that knows only farm tokens (no node credentials); tests use it. */
    static Optional<Reject> check(Hello hello, boolean shuttingDown, EnrolmentTokens tokens) {
        Optional<Reject> first = beforeCredential(hello, shuttingDown);
        if (first.isPresent()) {
            return first;
        }
        if (!tokens.accepts(hello.enrolmentToken())) {
            return reject(RejectReason.BAD_CREDENTIAL, "enrolment token not accepted");
        }
        return afterCredential(hello);
    }

    /** What is checked before the credential: whether this coordinator can talk to the agent at all. */
    static Optional<Reject> beforeCredential(Hello hello, boolean shuttingDown) {
        if (shuttingDown) {
            return reject(RejectReason.SHUTTING_DOWN, "coordinator is shutting down; reconnect with backoff");
        }
        if (ProtocolVersion.negotiate(hello.minVersion(), hello.maxVersion(), ProtocolVersion.MIN_SUPPORTED,
                ProtocolVersion.CURRENT).isEmpty()) {
            return reject(RejectReason.UNSUPPORTED_VERSION, "agent offers protocol " + hello.minVersion() + ".."
                    + hello.maxVersion() + ", this coordinator speaks " + ProtocolVersion.MIN_SUPPORTED + ".."
                    + ProtocolVersion.CURRENT);
        }
        return Optional.empty();
    }

    /** What is checked once the peer proved it may enrol: only then does it learn what else is wrong. */
    static Optional<Reject> afterCredential(Hello hello) {
        if (hello.identity().nodeId().isBlank()) {
            return reject(RejectReason.INVALID_HELLO, "identity.nodeId must not be blank");
        }
        if (hello.agentStreamId().length() > MAX_STREAM_ID || hello.commandStreamId().length() > MAX_STREAM_ID) {
            return reject(RejectReason.INVALID_HELLO, "stream ids must be at most " + MAX_STREAM_ID + " characters");
        }
        return Optional.empty();
    }

    /** A Reject carrying this coordinator's version range, as every Reject does. */
    static Reject rejectOf(RejectReason reason, String detail) {
        return new Reject(reason, detail, ProtocolVersion.MIN_SUPPORTED, ProtocolVersion.CURRENT);
    }

    /** A Reject(ATTESTATION_REQUIRED) carrying the nonce the VM's attested document must be signed for. */
    static Reject challengeOf(String detail, String nonce) {
        return new Reject(RejectReason.ATTESTATION_REQUIRED, detail, ProtocolVersion.MIN_SUPPORTED,
                ProtocolVersion.CURRENT, nonce);
    }

    private static Optional<Reject> reject(RejectReason reason, String detail) {
        return Optional.of(rejectOf(reason, detail));
    }
}
