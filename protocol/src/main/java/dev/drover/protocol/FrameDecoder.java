package dev.drover.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the byte stream into frames and decodes each into a {@link Message}. The announced length is
 * checked against the limit before any of the body is awaited, so a hostile header never makes the
 * receiver buffer more than the limit. After the first error everything else that arrives is discarded
 * until the channel closes; closing is the handler's job in {@code exceptionCaught}.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameLength;
    private boolean failed;

    public FrameDecoder() {
        this(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
    }

    public FrameDecoder(int maxFrameLength) {
        if (maxFrameLength <= 0) {
            throw new IllegalArgumentException("maxFrameLength: " + maxFrameLength + " (expected: > 0)");
        }
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < ProtocolLimits.LENGTH_FIELD_BYTES) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        try {
            if (length > maxFrameLength) {
                throw new FrameTooLargeException(maxFrameLength, length);
            }
            if (length < 1) {
                throw new ProtocolException("frame length " + length + " is below the minimum 1");
            }
            if (in.readableBytes() < ProtocolLimits.LENGTH_FIELD_BYTES + length) {
                return;
            }
            in.skipBytes(ProtocolLimits.LENGTH_FIELD_BYTES);
            out.add(MessageCodec.decode(in.readSlice((int) length)));
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }
}
