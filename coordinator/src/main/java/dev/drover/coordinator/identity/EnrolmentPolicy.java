package dev.drover.coordinator.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;

/**
 * Which enrolment tokens let a node in, and into which pool. Farm tokens admit any pool and never expire; a pool
 * token admits only its pool, until it expires. Every token is compared, in time independent of the match. Pure.
 */
public final class EnrolmentPolicy {

    /** A pool-scoped token, resolved (its file read). */
    public record PoolToken(String pool, String token, Instant expires) {
        @Override
        public String toString() {
            return "PoolToken[pool=" + pool + ", expires=" + expires + "]";
        }
    }

    /** The answer for one presented token; {@code why} is safe to log and to send (it never holds a token). */
    public record Verdict(boolean accepted, String why) {
        static final Verdict OK = new Verdict(true, "");
    }

    private final List<byte[]> farm;
    private final List<PoolToken> pools;

    public EnrolmentPolicy(List<String> farmTokens, List<PoolToken> poolTokens) {
        this.farm = farmTokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
        this.pools = List.copyOf(poolTokens);
        if (farm.isEmpty() && pools.isEmpty()) {
            throw new IllegalArgumentException("at least one enrolment token is required");
        }
    }

    public Verdict check(String presented, String pool, Instant now) {
        byte[] p = presented.getBytes(StandardCharsets.UTF_8);
        boolean farmMatch = false;
        for (byte[] f : farm) {
            farmMatch |= MessageDigest.isEqual(f, p); // no early exit: every token is compared
        }
        PoolToken matched = null;
        for (PoolToken t : pools) {
            if (MessageDigest.isEqual(t.token().getBytes(StandardCharsets.UTF_8), p) && matched == null) {
                matched = t;
            }
        }
        if (farmMatch) {
            return Verdict.OK;
        }
        if (matched == null) {
            return new Verdict(false, "enrolment token not accepted");
        }
        if (!matched.expires().isAfter(now)) {
            return new Verdict(false, "the enrolment token of pool " + matched.pool() + " expired at "
                    + matched.expires());
        }
        if (!matched.pool().equals(pool)) {
            return new Verdict(false, "the enrolment token is for pool " + matched.pool() + ", the node names pool '"
                    + pool + "'");
        }
        return Verdict.OK;
    }
}
