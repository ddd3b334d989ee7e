package dev.drover.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Strings the wire cannot carry are refused where they enter, never written as bytes the reader rejects. */
class WireTextTest {

    @Test
    void acceptsWellFormedTextIncludingPairedSurrogates() {
        assertThat(WireText.problem("render -f 1 \u00e9 \uD83C\uDFAC", 256)).isEmpty();
        assertThat(WireText.problem("", 256)).isEmpty();
    }

    @Test
    void namesAnUnpairedHighOrLowSurrogateAndItsIndex() {
        assertThat(WireText.problem("ab\uD800", 256)).hasValueSatisfying(p -> assertThat(p)
                .contains("unpaired UTF-16 surrogate U+D800 at index 2"));
        assertThat(WireText.problem("\uDC00x", 256)).hasValueSatisfying(p -> assertThat(p)
                .contains("U+DC00 at index 0"));
        // a low surrogate before a high one is two unpaired halves, not a pair
        assertThat(WireText.problem("\uDC00\uD800", 256)).isPresent();
    }

    @Test
    void countsTheLimitInUtf8BytesNotChars() {
        String fourBytes = "\uD83C\uDFAC"; // one code point, two chars, four UTF-8 bytes
        assertThat(WireText.problem(fourBytes.repeat(64), 256)).isEmpty();
        assertThat(WireText.problem(fourBytes.repeat(64) + "x", 256)).hasValueSatisfying(p -> assertThat(p)
                .isEqualTo("string length 257 bytes (UTF-8) exceeds limit 256"));
    }

    @Test
    void writerRefusesAnUnpairedSurrogateNamingTheFieldAndLeavesNoFrame() {
        ByteBuf out = Unpooled.buffer();
        RunTask task = new RunTask(1, SampleMessages.TASK, "k", List.of("echo", "bad\uD800"), List.of(), "");
        try {
            assertThatThrownBy(() -> MessageCodec.encode(task, out, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("runTask.argv")
                    .hasMessageContaining("unpaired UTF-16 surrogate U+D800 at index 3");
            assertThat(out.readableBytes()).isZero();
        } finally {
            out.release();
        }
    }

    @Test
    void writerRefusesSurrogatesInEveryCallerSuppliedStringOfDrain() {
        ByteBuf out = Unpooled.buffer();
        try {
            assertThatThrownBy(() -> MessageCodec.encode(new Drain(1, DrainMode.ON_COMPLETION, 0, "scale in \uDFFF"),
                    out, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("drain.reason");
        } finally {
            out.release();
        }
    }

    @Test
    void whatTheWriterAcceptsTheReaderReadsBackUnchanged() {
        ByteBuf out = Unpooled.buffer();
        RunTask task = new RunTask(1, SampleMessages.TASK, "k", List.of("echo", "\u00e9\uD83C\uDFAC\u4e2d"),
                List.of("A=\uD83D\uDE00"), "/tmp/\u00fc");
        try {
            MessageCodec.encode(task, out, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
            out.skipBytes(ProtocolLimits.LENGTH_FIELD_BYTES);
            assertThat(MessageCodec.decode(out)).isEqualTo(task);
        } finally {
            out.release();
        }
    }
}
