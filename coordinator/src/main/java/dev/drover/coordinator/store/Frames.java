package dev.drover.coordinator.store;

import dev.drover.protocol.Message;
import dev.drover.protocol.MessageCodec;
import dev.drover.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Protocol messages kept as their frame body (PROTOCOL.md §2): the wire format is the storage format. */
final class Frames {
    private Frames() {
    }

    static byte[] encode(Message message) {
        ByteBuf buf = Unpooled.buffer();
        try {
            MessageCodec.encode(message, buf, Integer.MAX_VALUE);
            buf.skipBytes(ProtocolLimits.LENGTH_FIELD_BYTES);
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            return bytes;
        } finally {
            buf.release();
        }
    }

    static Message decode(byte[] body) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            return MessageCodec.decode(buf);
        } finally {
            buf.release();
        }
    }
}
