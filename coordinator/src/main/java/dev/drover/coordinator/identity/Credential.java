package dev.drover.coordinator.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A node credential: 32 random bytes the coordinator issues once per node (Welcome extension 8). Only its SHA-256
 * is kept, so a copy of the store does not let anyone pose as a node; a 256-bit random secret needs no slow hash.
 */
public final class Credential {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String PREFIX = "dnc1.";

    private Credential() {
    }

    /** A new credential, as sent to the agent (URL-safe base64, 48 characters). */
    public static String generate() {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    public static byte[] hash(String credential) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Compares in time independent of where they differ. */
    public static boolean matches(byte[] storedHash, String presented) {
        return MessageDigest.isEqual(storedHash, hash(presented));
    }
}
