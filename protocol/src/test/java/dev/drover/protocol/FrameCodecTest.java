package dev.drover.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FrameCodecTest {

    static List<Message> messages() {
        return SampleMessages.all();
    }

    private static ByteBuf frameOf(Message message) {
        ByteBuf buf = Unpooled.buffer();
        MessageCodec.encode(message, buf, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        return buf;
    }

    private static EmbeddedChannel decoderChannel(int maxFrameLength) {
        return new EmbeddedChannel(new FrameDecoder(maxFrameLength));
    }

    @Test
    void samplesCoverEveryMessageType() {
        Set<MessageType> covered = messages().stream().map(Message::type).collect(Collectors.toSet());
        assertThat(covered).isEqualTo(EnumSet.allOf(MessageType.class));
    }

    @ParameterizedTest
    @MethodSource("messages")
    void roundTripsThroughEncoderAndDecoder(Message message) {
        // given a pipeline with the shared encoder and a decoder
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(), FrameEncoder.INSTANCE);

        // when the message is written out and its bytes fed back in
        assertThat(ch.writeOutbound(message)).isTrue();
        ByteBuf wire = ch.readOutbound();
        assertThat(ch.writeInbound(wire)).isTrue();

        // then the same message comes out
        Message decoded = ch.readInbound();
        assertThat(decoded).isEqualTo(message);
        assertThat(ch.finish()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("messages")
    void decodesWhenFedOneByteAtATime(Message message) {
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        ByteBuf frame = frameOf(message);
        int length = frame.readableBytes();

        for (int i = 0; i < length - 1; i++) {
            ch.writeInbound(frame.readRetainedSlice(1));
            assertThat((Object) ch.readInbound()).as("nothing before the last byte (byte %d)", i).isNull();
        }
        ch.writeInbound(frame.readRetainedSlice(1));
        frame.release();

        assertThat((Message) ch.readInbound()).isEqualTo(message);
        assertThat(ch.finish()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("messages")
    void decodesTwoFramesInOneBuffer(Message message) {
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        ByteBuf both = frameOf(message);
        MessageCodec.encode(new Ping(7), both, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);

        ch.writeInbound(both);

        assertThat((Message) ch.readInbound()).isEqualTo(message);
        assertThat((Message) ch.readInbound()).isEqualTo(new Ping(7));
        assertThat(ch.finish()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("messages")
    void waitsOnTruncatedFrameWithoutConsumingIt(Message message) {
        // given all of a frame but its last byte
        ByteBuf frame = frameOf(message);
        ByteBuf truncated = frame.readRetainedSlice(frame.readableBytes() - 1);
        frame.release();
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);

        // when it arrives, nothing is decoded yet and the channel stays open
        ch.writeInbound(truncated);

        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.finish()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("messages")
    void rejectsBodyThatEndsBeforeItsFields(Message message) {
        // given a frame whose length header was shrunk by one, so the body ends a byte early
        ByteBuf frame = frameOf(message);
        int length = frame.getInt(0);
        ByteBuf shortened = Unpooled.buffer();
        shortened.writeInt(length - 1).writeBytes(frame, 4, length - 1);
        frame.release();

        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(shortened))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void acceptsFramesOneBelowAndAtTheLimitAndRejectsOneAbove() {
        Bye bye = new Bye(ByeReason.SHUTDOWN, "x".repeat(1500));
        ByteBuf frame = frameOf(bye);
        int length = frame.getInt(0);

        EmbeddedChannel belowLimit = decoderChannel(length + 1);
        belowLimit.writeInbound(frame.retainedDuplicate());
        assertThat((Message) belowLimit.readInbound()).isEqualTo(bye);
        assertThat(belowLimit.finish()).isFalse();

        EmbeddedChannel atLimit = decoderChannel(length);
        atLimit.writeInbound(frame.retainedDuplicate());
        assertThat((Message) atLimit.readInbound()).isEqualTo(bye);
        assertThat(atLimit.finish()).isFalse();

        // over the limit: refused on the header alone, before the body is awaited
        EmbeddedChannel overLimit = decoderChannel(length - 1);
        ByteBuf headerOnly = frame.retainedSlice(0, 5);
        frame.release();
        assertThatThrownBy(() -> overLimit.writeInbound(headerOnly))
                .isInstanceOfSatisfying(FrameTooLargeException.class, e -> {
                    assertThat(e.actualFrameLength()).isEqualTo(length);
                    assertThat(e.maxFrameLength()).isEqualTo(length - 1);
                })
                .hasMessage("frame length " + length + " exceeds limit " + (length - 1));
    }

    @Test
    void rejectsHugeLengthHeaderWithoutAllocating() {
        ByteBuf header = Unpooled.buffer().writeInt(0xFFFFFFFF).writeByte(1);
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);

        assertThatThrownBy(() -> ch.writeInbound(header))
                .isInstanceOf(FrameTooLargeException.class)
                .hasMessage("frame length 4294967295 exceeds limit 65536");
    }

    @Test
    void rejectsEmptyFrame() {
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.buffer().writeInt(0)))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("below the minimum");
    }

    @Test
    void rejectsUnknownTypeCode() {
        ByteBuf frame = Unpooled.buffer().writeInt(1).writeByte(0x7F);
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);

        assertThatThrownBy(() -> ch.writeInbound(frame))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("unknown message type code 127");
    }

    @Test
    void discardsEverythingAfterTheFirstError() {
        // given a bad frame followed by a good one in the same buffer
        ByteBuf bytes = Unpooled.buffer().writeInt(1).writeByte(0x7F);
        MessageCodec.encode(new Ping(1), bytes, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);

        assertThatThrownBy(() -> ch.writeInbound(bytes)).isInstanceOf(ProtocolException.class);
        // then later input is dropped too: a broken stream cannot be resynchronised
        ch.writeInbound(frameOf(new Ping(2)));

        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void skipsWellFormedExtensionsFromNewerPeers() {
        // given a v1 Ping followed by two extension entries a newer peer might add
        ByteBuf frame = frameOf(new Ping(5));
        frame.writeShort(0x0101).writeShort(3).writeBytes(new byte[] {1, 2, 3});
        frame.writeShort(0x0102).writeShort(0);
        frame.setInt(0, frame.readableBytes() - 4);
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);

        ch.writeInbound(frame);

        assertThat((Message) ch.readInbound()).isEqualTo(new Ping(5));
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void rejectsTrailingBytesThatAreNotAnExtension() {
        ByteBuf frame = frameOf(new Ping(5));
        frame.writeByte(9);
        frame.setInt(0, frame.readableBytes() - 4);

        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(frame))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("PING.extension.tag: truncated");
    }

    @Test
    void rejectsInvalidUtf8() {
        ByteBuf frame = Unpooled.buffer().writeInt(0).writeByte(MessageType.BYE.code()).writeByte(1)
                .writeShort(2).writeByte(0xC3).writeByte(0x28);
        frame.setInt(0, frame.readableBytes() - 4);

        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(frame))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("bye.detail: invalid UTF-8");
    }

    @Test
    void rejectsOverlongStringBeforeReadingIt() {
        ByteBuf frame = Unpooled.buffer().writeInt(0).writeByte(MessageType.BYE.code()).writeByte(1)
                .writeShort(ProtocolLimits.MAX_LONG_STRING + 1);
        frame.setInt(0, frame.readableBytes() - 4);

        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(frame))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("bye.detail: string length 4097 exceeds limit 4096");
    }

    @Test
    void rejectsOutOfRangeFieldAsProtocolError() {
        // a TaskProgress claiming 250 %
        ByteBuf frame = frameOf(new TaskProgress(SampleMessages.TASK, 50f, 1, -1, 0));
        int percentOffset = 4 + 1 + 8 + 4 + 4;
        frame.setFloat(percentOffset, 250f);

        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(frame))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("taskProgress.percent must be between 0.0 and 100.0, got 250.0");
    }

    @Test
    void rejectsUnknownEnumCode() {
        ByteBuf frame = frameOf(new Bye(ByeReason.SHUTDOWN, ""));
        frame.setByte(5, 200);

        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(frame))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("bye.reason: unknown ByeReason code 200");
    }

    @Test
    void encoderRefusesFrameOverItsLimitAndLeavesNothingBehind() {
        ByteBuf out = Unpooled.buffer();
        RunTask big = new RunTask(1, SampleMessages.TASK, "k", List.of("a".repeat(4000), "b".repeat(4000)), List.of(), "");

        assertThatThrownBy(() -> MessageCodec.encode(big, out, 4096))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exceeds limit 4096");
        assertThat(out.readableBytes()).isZero();
        out.release();
    }

    @Test
    void everyWireEnumHasUniqueCodes() {
        for (Class<?> type : List.of(Priority.class, AgentState.class, MountState.class, EvictionType.class,
                DrainMode.class, DrainPhase.class, RejectReason.class, ByeReason.class)) {
            WireCode[] values = (WireCode[]) type.getEnumConstants();
            long distinct = Arrays.stream(values).mapToInt(WireCode::code).distinct().count();
            assertThat(distinct).as(type.getSimpleName()).isEqualTo(values.length);
        }
    }

    @Test
    void helloWithoutExtensionsIsReadAsAPreStreamAgent() {
        // a v1 Hello as written before the stream extensions existed: no bytes after lastReceivedSeq
        Hello old = new Hello(1, 1, "0.1.0", SampleMessages.IDENTITY, 1, 0, "t", "", 0);
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        ch.writeInbound(frameOf(old));

        Hello decoded = ch.readInbound();
        assertThat(decoded.agentStreamId()).isEmpty();
        assertThat(decoded.commandStreamId()).isEmpty();
        assertThat(decoded.receiveLimit()).isEqualTo(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
    }

    @Test
    void evictionNoticeWithoutExtensionRequeuesAtOnce() {
        // given a notice as an agent written before extension 1 sends it: nothing after observedAtMillis
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        ch.writeInbound(frameOf(new EvictionNotice(1, "ev", EvictionType.TERMINATE, 5, "", 1)));

        EvictionNotice decoded = ch.readInbound();
        assertThat(decoded.tasksFinishByMillis()).isZero();
        assertThat(decoded.letsTasksFinish()).isFalse();
    }

    @Test
    void rejectsNegativeTasksFinishBy() {
        ByteBuf frame = frameOf(new EvictionNotice(1, "ev", EvictionType.TERMINATE, 5, "", 1, 7));
        frame.setLong(frame.writerIndex() - 8, -1); // the i64 value of extension 1 is the frame's last 8 bytes

        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(frame))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("evictionNotice.tasksFinishByMillis");
    }

    @Test
    void helloKeepsUnknownExtensionsSkippable() {
        // given a Hello with its stream extension and a tag a newer agent might add after it
        ByteBuf frame = frameOf(new Hello(1, 1, "x", SampleMessages.IDENTITY, 1, 0, "t", "", 0, "a-1", "", 0));
        frame.writeShort(0x7777).writeShort(2).writeShort(1);
        frame.setInt(0, frame.readableBytes() - 4);
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);

        ch.writeInbound(frame);

        assertThat(((Hello) ch.readInbound()).agentStreamId()).isEqualTo("a-1");
    }

    @Test
    void rejectsAKnownExtensionTwiceOrWithTrailingBytes() {
        ByteBuf twice = frameOf(new Hello(1, 1, "x", SampleMessages.IDENTITY, 1, 0, "t", "", 0, "a-1", "", 0));
        twice.writeShort(1).writeShort(3).writeShort(1).writeByte('b');
        twice.setInt(0, twice.readableBytes() - 4);
        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(twice))
                .isInstanceOf(ProtocolException.class).hasMessage("HELLO.extension 1 appears twice");

        ByteBuf padded = frameOf(new Welcome(1, "s", "n", false, 0, 5000, 0, 65536, 0));
        padded.writeShort(1).writeShort(4).writeShort(1).writeByte('c').writeByte(0);
        padded.setInt(0, padded.readableBytes() - 4);
        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(padded))
                .isInstanceOf(ProtocolException.class).hasMessage("WELCOME.extension 1: 1 trailing bytes");
    }

    @Test
    void rejectsAgentReceiveLimitOutsideTheAllowedRange() {
        ByteBuf frame = frameOf(new Hello(1, 1, "x", SampleMessages.IDENTITY, 1, 0, "t", "", 0, "", "", 2048));
        frame.setInt(frame.writerIndex() - 4, 512); // the i32 value of extension 3 is the frame's last 4 bytes

        assertThatThrownBy(() -> decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH).writeInbound(frame))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("hello.maxFrameLength must be between 1024 and 1048576, got 512");
    }

    @Test
    void helloCarriesAnyVersionRangeAndABlankNodeIdForTheCoordinatorToRefuse() {
        // [0,0], [3,1] and a blank node id are the coordinator's to Reject with a reason, not protocol errors
        Hello odd = new Hello(3, 1, "x", NodeIdentity.local(" ", "p"), 1, 0, "t", "", 0);
        EmbeddedChannel ch = decoderChannel(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        ch.writeInbound(frameOf(odd));
        assertThat((Message) ch.readInbound()).isEqualTo(odd);
    }

    @Test
    void helloNeverPrintsTheEnrolmentToken() {
        Hello hello = new Hello(1, 1, "0.1.0", SampleMessages.IDENTITY, 1, 0, "top-secret-token", "", 0);
        assertThat(hello.toString()).doesNotContain("top-secret-token");
    }
}
