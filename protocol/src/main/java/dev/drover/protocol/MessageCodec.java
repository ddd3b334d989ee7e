package dev.drover.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Turns one message into one frame and one frame body back into a message. Frame layout (PROTOCOL.md §2):
 * {@code u32 length | u8 type | v1 fields | extensions}, where length counts every byte after itself.
 */
public final class MessageCodec {
    private MessageCodec() {
    }

    /**
     * Appends a complete frame for {@code message} to {@code out}.
     *
     * @throws IllegalArgumentException if the frame would exceed {@code maxFrameLength}; nothing is left in
     *     {@code out} in that case
     */
    public static void encode(Message message, ByteBuf out, int maxFrameLength) {
        int start = out.writerIndex();
        out.writeInt(0); // length, patched below once the body is written
        out.writeByte(message.type().code());
        try {
            message.writeBody(new WireWriter(out));
        } catch (RuntimeException e) {
            out.writerIndex(start);
            throw e;
        }
        int length = out.writerIndex() - start - ProtocolLimits.LENGTH_FIELD_BYTES;
        if (length > maxFrameLength) {
            out.writerIndex(start);
            throw new IllegalArgumentException(message.type() + ": frame length " + length + " exceeds limit "
                    + maxFrameLength);
        }
        out.setInt(start, length);
    }

    /**
     * Decodes one frame body (type byte onwards). The whole of {@code frame} must be used: the v1 fields,
     * then well-formed extensions; anything else is a {@link ProtocolException}.
     */
    public static Message decode(ByteBuf frame) {
        WireReader reader = new WireReader(frame);
        MessageType type = MessageType.fromCode(reader.u8("type"));
        Message message;
        try {
            message = type.readBody(reader);
        } catch (IllegalArgumentException | NullPointerException e) {
            // A record's own validation refused a value: that is the peer's fault, so it is a protocol error.
            throw new ProtocolException(type + ": " + e.getMessage(), e);
        }
        reader.skipExtensions(type.name());
        return message;
    }
}
