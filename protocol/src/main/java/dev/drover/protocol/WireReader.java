package dev.drover.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Reads message fields from one frame body, checking every length against both the limit and the bytes
 * actually present, so a hostile length can never cause a large allocation. Every failure is a
 * {@link ProtocolException} naming the field.
 */
public final class WireReader {
    private final ByteBuf in;

    public WireReader(ByteBuf in) {
        this.in = in;
    }

    private void need(int bytes, String field) {
        if (in.readableBytes() < bytes) {
            throw new ProtocolException(field + ": truncated, needs " + bytes + " bytes, " + in.readableBytes()
                    + " left");
        }
    }

    public int u8(String field) {
        need(1, field);
        return in.readUnsignedByte();
    }

    public int u16(String field) {
        need(2, field);
        return in.readUnsignedShort();
    }

    public int i32(String field) {
        need(4, field);
        return in.readInt();
    }

    public long i64(String field) {
        need(8, field);
        return in.readLong();
    }

    public float f32(String field) {
        need(4, field);
        return in.readFloat();
    }

    public boolean bool(String field) {
        int value = u8(field);
        if (value > 1) {
            throw new ProtocolException(field + ": boolean must be 0 or 1, got " + value);
        }
        return value == 1;
    }

    public <E extends Enum<E> & WireCode> E code(Class<E> type, String field) {
        return WireCode.fromCode(type, u8(field), field);
    }

    public String shortString(String field) {
        return string(ProtocolLimits.MAX_SHORT_STRING, field);
    }

    public String longString(String field) {
        return string(ProtocolLimits.MAX_LONG_STRING, field);
    }

    /** A string with its own limit (PROTOCOL.md says which fields have one). */
    public String boundedString(int limit, String field) {
        return string(limit, field);
    }

    private String string(int limit, String field) {
        int length = u16(field);
        if (length > limit) {
            throw new ProtocolException(field + ": string length " + length + " exceeds limit " + limit);
        }
        need(length, field);
        ByteBuffer bytes = in.nioBuffer(in.readerIndex(), length);
        in.skipBytes(length);
        try {
            // Strict decoding: a peer that sends invalid UTF-8 is broken, not something to paper over.
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(field + ": invalid UTF-8", e);
        }
    }

    public <T> List<T> list(int limit, String field, Function<WireReader, T> readItem) {
        int count = u16(field);
        if (count > limit) {
            throw new ProtocolException(field + ": " + count + " items exceed limit " + limit);
        }
        List<T> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            items.add(readItem.apply(this));
        }
        return List.copyOf(items);
    }

    /**
     * Consumes the extension area that may follow a message's v1 fields: a sequence of (u16 tag, u16 length,
     * bytes) entries. A v1 reader knows no tags and skips them all, which is how later versions add optional
     * fields without breaking older peers; a malformed entry is still an error, so every byte is accounted for.
     */
    public void skipExtensions(String message) {
        readExtensions(message, (tag, value) -> false);
    }

    /** Reads one known extension's value; returns false for a tag it does not know (then it is skipped). */
    @FunctionalInterface
    public interface ExtensionReader {
        boolean read(int tag, WireReader value);
    }

    /**
     * Reads the extension area, handing each entry's value to {@code known} as a reader over exactly that
     * value. A known value must be used completely (every byte accounted for); a known tag seen twice is an error,
     * because a peer that repeats a field has a bug that guessing which one wins would hide.
     */
    public void readExtensions(String message, ExtensionReader known) {
        java.util.BitSet seen = new java.util.BitSet();
        while (in.isReadable()) {
            int tag = u16(message + ".extension.tag");
            int length = u16(message + ".extension.length");
            need(length, message + ".extension.value");
            WireReader value = new WireReader(in.readSlice(length));
            if (!known.read(tag, value)) {
                continue;
            }
            if (value.in.isReadable()) {
                throw new ProtocolException(message + ".extension " + tag + ": " + value.in.readableBytes()
                        + " trailing bytes");
            }
            if (seen.get(tag)) {
                throw new ProtocolException(message + ".extension " + tag + " appears twice");
            }
            seen.set(tag);
        }
    }
}
