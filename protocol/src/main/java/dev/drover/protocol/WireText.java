package dev.drover.protocol;

import java.util.Optional;

/**
 * Whether a string can travel as a wire string (PROTOCOL.md §2): well-formed UTF-16, so that it encodes to the
 * UTF-8 a strict reader accepts (an unpaired surrogate has no UTF-8 form: Java writes '?' or CESU bytes, and the
 * reader rejects the frame), and within its byte limit. One check for the writer and for every edge that takes
 * strings from callers (the job API, config), so a string accepted there can always be sent.
 */
public final class WireText {
    private WireText() {
    }

    /** Why {@code value} cannot be a wire string of at most {@code limit} UTF-8 bytes, or empty if it can. */
    public static Optional<String> problem(String value, int limit) {
        if (value == null) {
            return Optional.of("is missing (null)");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return Optional.of(String.format(java.util.Locale.ROOT, "unpaired UTF-16 surrogate U+%04X at index %d "
                        + "is not Unicode text and cannot be encoded as UTF-8", (int) c, i));
            }
        }
        int length = ProtocolLimits.utf8Length(value);
        if (length > limit) {
            return Optional.of("string length " + length + " bytes (UTF-8) exceeds limit " + limit);
        }
        return Optional.empty();
    }
}
