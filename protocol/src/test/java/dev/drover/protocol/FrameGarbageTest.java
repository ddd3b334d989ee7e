package dev.drover.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Whatever bytes arrive, the decoder yields messages or a ProtocolException: never anything else. */
class FrameGarbageTest {

    @Property(tries = 2000)
    void randomBytesOnlyEverYieldProtocolException(@ForAll @Size(max = 512) byte[] garbage) {
        assertOnlyProtocolErrors(Unpooled.wrappedBuffer(garbage));
    }

    @Property(tries = 2000)
    void validFramesWithRandomisedBodiesOnlyEverYieldProtocolException(@ForAll("frames") ByteBuf frame) {
        assertOnlyProtocolErrors(frame);
    }

    @Property(tries = 1000)
    void mutatedRealFramesOnlyEverYieldProtocolException(@ForAll @IntRange(min = 0, max = 15) int which,
            @ForAll @IntRange(min = 0, max = 10_000) int position, @ForAll byte value) {
        Message message = SampleMessages.all().get(which);
        ByteBuf frame = Unpooled.buffer();
        MessageCodec.encode(message, frame, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        int index = 4 + position % (frame.readableBytes() - 4); // keep the length header, mutate the rest
        frame.setByte(index, value);
        assertOnlyProtocolErrors(frame);
    }

    /** Frames with a plausible header (right length, known type) and a random body. */
    @Provide
    Arbitrary<ByteBuf> frames() {
        return Arbitraries.integers().between(1, 16).flatMap(type -> Arbitraries.bytes().array(byte[].class)
                .ofMaxSize(300).map(body -> {
                    ByteBuf buf = Unpooled.buffer();
                    buf.writeInt(body.length + 1).writeByte(type).writeBytes(body);
                    return buf;
                }));
    }

    private static void assertOnlyProtocolErrors(ByteBuf input) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        List<Object> decoded = new ArrayList<>();
        try {
            ch.writeInbound(input);
        } catch (ProtocolException expected) {
            // the only acceptable failure
        }
        Object m;
        while ((m = ch.readInbound()) != null) {
            decoded.add(m);
        }
        assertThat(decoded).allSatisfy(d -> assertThat(d).isInstanceOf(Message.class));
        ch.finishAndReleaseAll();
    }
}
