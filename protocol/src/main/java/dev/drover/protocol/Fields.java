package dev.drover.protocol;

import java.util.Objects;

/** Validation shared by the message records' compact constructors; failures name the field. */
final class Fields {
    private Fields() {
    }

    static String text(String value, String field) {
        return Objects.requireNonNull(value, field + " must not be null");
    }

    static String nonBlank(String value, String field) {
        if (text(value, field).isBlank()) {
            throw new IllegalArgumentException(field + " must not be blank");
        }
        return value;
    }

    static long nonNegative(long value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, got " + value);
        }
        return value;
    }

    /** Reliable sequences start at 1: a seq of 0 would be acknowledged by "Ack(0)" without being processed. */
    static long positive(long value, String field) {
        if (value < 1) {
            throw new IllegalArgumentException(field + " must be >= 1, got " + value);
        }
        return value;
    }

    static int range(int value, int min, int max, String field) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    static float range(float value, float min, float max, String field) {
        if (!(value >= min && value <= max)) { // also rejects NaN
            throw new IllegalArgumentException(field + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }
}
