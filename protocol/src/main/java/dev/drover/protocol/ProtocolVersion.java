package dev.drover.protocol;

import java.util.OptionalInt;

/**
 * Protocol versions and their negotiation. Agents live for years inside VM images, so a coordinator keeps
 * accepting every version from {@link #MIN_SUPPORTED} up; the agent offers a range in Hello and the
 * coordinator picks the highest version both support.
 */
public final class ProtocolVersion {
    /** The newest version this build speaks. */
    public static final int CURRENT = 1;
    /** The oldest version this build still accepts. */
    public static final int MIN_SUPPORTED = 1;

    private ProtocolVersion() {
    }

    /** The highest version in both ranges, or empty when they do not overlap. */
    public static OptionalInt negotiate(int peerMin, int peerMax, int ourMin, int ourMax) {
        int high = Math.min(peerMax, ourMax);
        int low = Math.max(peerMin, ourMin);
        return high >= low ? OptionalInt.of(high) : OptionalInt.empty();
    }
}
