package dev.drover.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Encodes {@link Message}s into frames. Keeps no state, so one instance serves every channel. */
@Sharable
public final class FrameEncoder extends MessageToByteEncoder<Message> {
    /** Encodes frames up to the default limit every conforming peer accepts. */
    public static final FrameEncoder INSTANCE = new FrameEncoder(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);

    private final int maxFrameLength;

    public FrameEncoder(int maxFrameLength) {
        super(Message.class);
        this.maxFrameLength = ProtocolLimits.checkMaxFrameLength(maxFrameLength);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message message, ByteBuf out) {
        MessageCodec.encode(message, out, maxFrameLength);
    }
}
