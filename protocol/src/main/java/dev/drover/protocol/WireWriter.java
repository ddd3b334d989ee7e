package dev.drover.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Writes message fields in the wire layout of PROTOCOL.md: big-endian integers, IEEE floats, strings as a
 * u16 byte length plus UTF-8. Limits are checked here too, so an encoder never produces a frame that a
 * conforming decoder would reject.
 */
public final class WireWriter {
    private final ByteBuf out;

    public WireWriter(ByteBuf out) {
        this.out = out;
    }

    public WireWriter u8(int value) {
        out.writeByte(value);
        return this;
    }

    public WireWriter u16(int value) {
        out.writeShort(value);
        return this;
    }

    public WireWriter i32(int value) {
        out.writeInt(value);
        return this;
    }

    public WireWriter i64(long value) {
        out.writeLong(value);
        return this;
    }

    public WireWriter f32(float value) {
        out.writeFloat(value);
        return this;
    }

    public WireWriter bool(boolean value) {
        out.writeByte(value ? 1 : 0);
        return this;
    }

    public WireWriter code(WireCode value) {
        return u8(value.code());
    }

    public WireWriter shortString(String value, String field) {
        return string(value, ProtocolLimits.MAX_SHORT_STRING, field);
    }

    public WireWriter longString(String value, String field) {
        return string(value, ProtocolLimits.MAX_LONG_STRING, field);
    }

    public WireWriter boundedString(String value, int limit, String field) {
        return string(value, limit, field);
    }

    /**
     * @throws IllegalArgumentException naming the field when the string is not well-formed Unicode (an unpaired
     *     surrogate: Netty would write '?' in its place, silently changing it) or longer than {@code limit}
     */
    private WireWriter string(String value, int limit, String field) {
        WireText.problem(value, limit).ifPresent(p -> {
            throw new IllegalArgumentException(field + ": " + p);
        });
        int length = ByteBufUtil.utf8Bytes(value);
        out.writeShort(length);
        out.writeCharSequence(value, java.nio.charset.StandardCharsets.UTF_8);
        return this;
    }

    /**
     * Writes one extension entry (PROTOCOL.md §2): u16 tag, u16 length, then the value {@code body} writes.
     * The length is patched once the value is written, so a value can never disagree with its length.
     */
    public WireWriter extension(int tag, java.util.function.Consumer<WireWriter> body) {
        out.writeShort(tag);
        int lengthAt = out.writerIndex();
        out.writeShort(0);
        body.accept(this);
        int length = out.writerIndex() - lengthAt - 2;
        if (length > 0xFFFF) {
            throw new IllegalArgumentException("extension " + tag + ": value length " + length + " exceeds 65535");
        }
        out.setShort(lengthAt, length);
        return this;
    }

    public <T> WireWriter list(List<T> items, int limit, String field, BiConsumer<WireWriter, T> writeItem) {
        if (items.size() > limit) {
            throw new IllegalArgumentException(field + ": " + items.size() + " items exceed limit " + limit);
        }
        out.writeShort(items.size());
        for (T item : items) {
            writeItem.accept(this, item);
        }
        return this;
    }
}
