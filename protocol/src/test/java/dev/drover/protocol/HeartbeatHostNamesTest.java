package dev.drover.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Heartbeat extension 1 (PROTOCOL.md §4): the machine's host names and addresses, optional and bounded. */
class HeartbeatHostNamesTest {
    private static final HostNames NAMES = new HostNames(List.of("rndr-7", "rndr-7.studio.lan"), List.of("10.2.0.7"));

    private static Heartbeat beat(HostNames names) {
        return new Heartbeat(1, AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(), false, 0, names);
    }

    private static ByteBuf frameOf(Message message) {
        ByteBuf buf = Unpooled.buffer();
        MessageCodec.encode(message, buf, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
        return buf;
    }

    private static Message decode(ByteBuf frame) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH));
        try {
            ch.writeInbound(frame);
            return ch.readInbound();
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** A v1 heartbeat with one extension entry (tag, then the value bytes {@code value} writes) appended. */
    private static ByteBuf withExtension(int tag, java.util.function.Consumer<ByteBuf> value) {
        ByteBuf frame = frameOf(beat(HostNames.NONE));
        ByteBuf v = Unpooled.buffer();
        value.accept(v);
        frame.writeShort(tag).writeShort(v.readableBytes()).writeBytes(v);
        v.release();
        frame.setInt(0, frame.readableBytes() - 4);
        return frame;
    }

    private static void writeString(ByteBuf b, String s) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        b.writeShort(bytes.length).writeBytes(bytes);
    }

    @Test
    void aHeartbeatWithoutHostNamesCarriesNoExtensionBytes() {
        ByteBuf plain = frameOf(beat(HostNames.NONE));
        ByteBuf named = frameOf(beat(NAMES));

        // the extension is written only when there is a value, so an idle heartbeat costs nothing extra
        assertThat(named.readableBytes()).isGreaterThan(plain.readableBytes());
        assertThat(((Heartbeat) decode(plain)).hostNames()).isEqualTo(HostNames.NONE);
        assertThat(((Heartbeat) decode(named)).hostNames()).isEqualTo(NAMES);
    }

    @Test
    void aReceiverThatDoesNotKnowTheTagSkipsIt() {
        // what a v1 receiver does with the frame: skip every extension entry after the v1 fields
        ByteBuf frame = frameOf(beat(NAMES));
        frame.skipBytes(4 + 1);
        WireReader r = new WireReader(frame);
        r.i64("sentAt");
        r.u8("state");
        r.u16("running");
        HostMetrics.read(r);
        r.list(ProtocolLimits.MAX_MOUNTS, "mounts", MountHealth::read);
        r.bool("imds");
        r.i64("dropped");
        r.skipExtensions("HEARTBEAT");
        assertThat(frame.isReadable()).isFalse();
        frame.release();
    }

    @Test
    void unknownHeartbeatExtensionsAreSkipped() {
        Heartbeat decoded = (Heartbeat) decode(withExtension(0x7001, b -> b.writeInt(42)));
        assertThat(decoded.hostNames()).isEqualTo(HostNames.NONE);
    }

    @Test
    void moreThanSixteenNamesAreRefusedOnBothSides() {
        List<String> seventeen = Collections.nCopies(ProtocolLimits.MAX_HOST_NAMES + 1, "n");
        assertThatThrownBy(() -> new HostNames(seventeen, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("heartbeat.hostNames.names: 17 items exceed limit 16");

        ByteBuf frame = withExtension(1, b -> {
            b.writeShort(17);
            for (int i = 0; i < 17; i++) {
                writeString(b, "n" + i);
            }
            b.writeShort(0);
        });
        assertThatThrownBy(() -> decode(frame)).isInstanceOf(ProtocolException.class)
                .hasMessage("heartbeat.hostNames.names: 17 items exceed limit 16");
    }

    @Test
    void sixteenOfEachIsTheLimitAndFits() {
        List<String> sixteen = java.util.stream.IntStream.range(0, 16).mapToObj(i -> "a".repeat(250) + i).toList();
        HostNames max = new HostNames(sixteen, sixteen);
        assertThat(((Heartbeat) decode(frameOf(beat(max)))).hostNames()).isEqualTo(max);
    }

    @Test
    void aBlankOrOverlongEntryIsAProtocolError() {
        ByteBuf blank = withExtension(1, b -> {
            b.writeShort(1);
            writeString(b, " ");
            b.writeShort(0);
        });
        assertThatThrownBy(() -> decode(blank)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("heartbeat.hostNames.names[] must not be blank");

        ByteBuf overlong = withExtension(1, b -> {
            b.writeShort(0);
            b.writeShort(1);
            writeString(b, "x".repeat(257));
        });
        assertThatThrownBy(() -> decode(overlong)).isInstanceOf(ProtocolException.class)
                .hasMessage("heartbeat.hostNames.addresses[]: string length 257 exceeds limit 256");
        assertThatThrownBy(() -> new HostNames(List.of("é".repeat(129)), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds limit 256");
    }

    @Test
    void truncatedOrPaddedOrRepeatedExtensionIsAProtocolError() {
        ByteBuf truncated = withExtension(1, b -> b.writeShort(1)); // one name announced, none there
        assertThatThrownBy(() -> decode(truncated)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("truncated");

        ByteBuf padded = withExtension(1, b -> b.writeShort(0).writeShort(0).writeByte(0));
        assertThatThrownBy(() -> decode(padded)).isInstanceOf(ProtocolException.class)
                .hasMessage("HEARTBEAT.extension 1: 1 trailing bytes");

        ByteBuf twice = frameOf(beat(NAMES));
        twice.writeShort(1).writeShort(4).writeShort(0).writeShort(0);
        twice.setInt(0, twice.readableBytes() - 4);
        assertThatThrownBy(() -> decode(twice)).isInstanceOf(ProtocolException.class)
                .hasMessage("HEARTBEAT.extension 1 appears twice");
    }
}
