package dev.drover.coordinator.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/** Checks the enrolment credential an agent presents, in time independent of how much of it matched. */
public final class EnrolmentTokens {
    private final List<byte[]> valid;
    private final List<String> tokens;

    public EnrolmentTokens(List<String> tokens) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("at least one enrolment token is required");
        }
        this.valid = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
        this.tokens = List.copyOf(tokens);
    }

    /** The tokens, for the identity gate's policy (never to be logged). */
    public List<String> tokens() {
        return tokens;
    }

    public boolean accepts(String presented) {
        byte[] p = presented.getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] v : valid) {
            ok |= MessageDigest.isEqual(v, p); // no early exit: every token is compared
        }
        return ok;
    }
}
