package dev.drover.coordinator.api;

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

    /** An optional string of at most {@code max} characters; null when absent. */
    static String optionalString(JsonObject body, String field, int max) {
        if (!body.containsKey(field)) {
            return null;
        }
        if (!(body.getValue(field) instanceof String s)) {
            throw new IllegalArgumentException(field + " must be a string, got " + describe(body.getValue(field)));
        }
        if (s.length() > max) {
            throw new IllegalArgumentException(field + " must be at most " + max + " characters, got " + s.length());
        }
        return s;
    }

    static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "a string (\"" + (s.length() > 20 ? s.substring(0, 20) + "..." : s) + "\")";
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
