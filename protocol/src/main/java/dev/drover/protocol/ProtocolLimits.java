package dev.drover.protocol;

/** Every size limit of the wire format, in one place. PROTOCOL.md documents the same numbers. */
public final class ProtocolLimits {
    /** Bytes of the length prefix in front of every frame. */
    public static final int LENGTH_FIELD_BYTES = 4;
    /** Default and recommended maximum frame length (type byte + body), in bytes. */
    public static final int DEFAULT_MAX_FRAME_LENGTH = 64 * 1024;
    /** No receiver may be configured to accept frames larger than this. */
    public static final int MAX_FRAME_LENGTH_CEILING = 1024 * 1024;
    /** Maximum encoded UTF-8 length of a short string (ids, names, keys). */
    public static final int MAX_SHORT_STRING = 256;
    /** Maximum encoded UTF-8 length of a long string (descriptions, reasons, command arguments). */
    public static final int MAX_LONG_STRING = 4096;
    /** Longest signed document a Hello may carry (Azure's attested document is ~4 KiB; a Hello stays under 16 KiB). */
    public static final int MAX_DOCUMENT = 12_288;
    /** Maximum number of items in any list field. */
    public static final int MAX_LIST_ITEMS = 256;
    /** Maximum number of mounts reported in one heartbeat. */
    public static final int MAX_MOUNTS = 32;
    /** Maximum number of host names, and of addresses, in a heartbeat's host-names extension. */
    public static final int MAX_HOST_NAMES = 16;

    private ProtocolLimits() {
    }

    /** Encoded UTF-8 length of {@code s}, as the string limits count it. */
    static int utf8Length(String s) {
        return io.netty.buffer.ByteBufUtil.utf8Bytes(s);
    }

    /** Checks a configured maximum frame length; used by both ends' config validation. */
    public static int checkMaxFrameLength(int maxFrameLength) {
        if (maxFrameLength < 1024 || maxFrameLength > MAX_FRAME_LENGTH_CEILING) {
            throw new IllegalArgumentException("maxFrameLength " + maxFrameLength + " must be between 1024 and "
                    + MAX_FRAME_LENGTH_CEILING);
        }
        return maxFrameLength;
    }
}
