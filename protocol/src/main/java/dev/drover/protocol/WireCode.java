package dev.drover.protocol;

/** An enum carried on the wire as one unsigned byte. Codes are fixed forever; new values get new codes. */
public interface WireCode {
    int code();

    /** Finds the constant with the given code, or throws a {@link ProtocolException} naming the field. */
    static <E extends Enum<E> & WireCode> E fromCode(Class<E> type, int code, String field) {
        for (E e : type.getEnumConstants()) {
            if (e.code() == code) {
                return e;
            }
        }
        throw new ProtocolException(field + ": unknown " + type.getSimpleName() + " code " + code);
    }
}
