package dev.drover.coordinator.api;

import dev.drover.protocol.WireText;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict reading of action bodies: unknown fields, wrong types and out-of-range values are refused with 400
 * and a reason naming the field, never silently ignored (an operator who typed {@code "maxnodes"} must learn
 * that nothing changed).
 */
final class Bodies {
    private Bodies() {
    }

    /** Refused: a field that is not in {@code allowed}. */
    static void onlyFields(JsonObject body, String where, Set<String> allowed) {
        Set<String> unknown = new TreeSet<>(body.fieldNames());
        unknown.removeAll(allowed);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(where + "unknown field(s) " + quoted(unknown) + "; allowed: "
                    + quoted(new TreeSet<>(allowed)));
        }
    }

    /** An optional whole number in {@code min..max}; null when absent. JSON 5.0 and "5" are refused. */
    static Long optionalInteger(JsonObject body, String field, long min, long max) {
        if (!body.containsKey(field)) {
            return null;
        }
        Object v = body.getValue(field);
        if (!(v instanceof Integer || v instanceof Long)) {
            throw new IllegalArgumentException(field + " must be a whole number " + min + ".." + max + ", got "
                    + describe(v));
        }
        long n = ((Number) v).longValue();
        if (n < min || n > max) {
            throw new IllegalArgumentException(field + " must be " + min + ".." + max + ", got " + n);
        }
        return n;
    }

    /** An optional string of at most {@code max} characters (and UTF-8 bytes), well-formed; null when absent. */
    static String optionalString(JsonObject body, String field, int max) {
        return optionalString(body, field, max, "");
    }

    /** The same, with the field named as {@code where + field} in errors (e.g. {@code tasks[3].}). */
    static String optionalString(JsonObject body, String field, int max, String where) {
        if (!body.containsKey(field)) {
            return null;
        }
        if (!(body.getValue(field) instanceof String s)) {
            throw new IllegalArgumentException(where + field + " must be a string, got "
                    + describe(body.getValue(field)));
        }
        if (s.length() > max) {
            throw new IllegalArgumentException(where + field + " must be at most " + max + " characters, got "
                    + s.length());
        }
        return wireText(s, max, where + field);
    }

    /**
     * {@code value}, if it is well-formed Unicode of at most {@code maxBytes} UTF-8 bytes (what a wire string,
     * the store and a log line can carry); else a 400 naming the field. A string with an unpaired surrogate
     * accepted here could never be sent to an agent (PROTOCOL.md §2).
     */
    static String wireText(String value, int maxBytes, String field) {
        WireText.problem(value, maxBytes).ifPresent(p -> {
            throw new IllegalArgumentException(field + ": " + p);
        });
        return value;
    }

    static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            // echoed in the error body: a lone surrogate in it would make the reply itself unencodable
            String shown = (s.length() > 20 ? s.substring(0, 20) + "..." : s).replaceAll("\\p{Cs}", "\uFFFD");
            return "a string (\"" + shown + "\")";
        }
        if (v instanceof Number n) {
            return n.toString();
        }
        return "a " + (v instanceof JsonObject ? "JSON object" : v instanceof io.vertx.core.json.JsonArray ? "JSON array"
                : v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT));
    }

    private static String quoted(Set<String> names) {
        return names.stream().map(n -> "'" + n + "'").reduce((a, b) -> a + ", " + b).orElse("");
    }
}
