package dev.drover.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Output pass-through, line splitting and when TR_PROGRESS is printed. */
class WrapperOutputTest {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final ByteArrayOutputStream capture = new ByteArrayOutputStream();
    private final OutputPump.TaskOutput out = new OutputPump.TaskOutput(stdout, stderr, capture);

    private static final long SECOND = 1_000_000_000L;

    @Test
    void passesBytesThroughUnchangedAndSplitsLinesOnNewlineAndCarriageReturn() {
        byte[] input = "Rendered 1 of 4 pixels (25%)\rRendered 2 of 4\u00ff pixels (50%)\rdone\npartial"
                .getBytes(StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>();

        new OutputPump(new ByteArrayInputStream(input), out, true, lines::add).run();

        assertThat(stdout.toByteArray()).isEqualTo(input);
        assertThat(capture.toByteArray()).isEqualTo(input);
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).isEqualTo("Rendered 1 of 4 pixels (25%)");
        assertThat(lines.get(3)).isEqualTo("partial");
    }

    @Test
    void printsOnlyRisingWholePercentAtMostOncePerSecondAndTheLastAtTheEnd() throws Exception {
        ProgressPrinter printer = new ProgressPrinter(out);

        printer.offer(10.2f, 0);
        printer.offer(10.9f, SECOND / 2); // same whole number
        printer.offer(30f, SECOND / 2); // too soon: pending
        printer.offer(20f, 2 * SECOND); // backwards: ignored
        printer.flush(2 * SECOND);
        printer.offer(99f, 2 * SECOND + 1);
        printer.offer(100f, 2 * SECOND + 2);
        printer.flush(Long.MAX_VALUE);

        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("TR_PROGRESS 10%\nTR_PROGRESS 30%\nTR_PROGRESS 100%\n");
    }

    @Test
    void ownLinesWaitForALineBoundaryAndFollowACarriageReturnOnANewLine() throws Exception {
        out.write(true, "Rendered 1 of 4".getBytes(StandardCharsets.UTF_8), 15);
        assertThat(out.writeLine("TR_PROGRESS 5%", true)).as("mid-line: not now").isFalse();
        byte[] cr = " pixels\r".getBytes(StandardCharsets.UTF_8);
        out.write(true, cr, cr.length);
        assertThat(out.writeLine("TR_PROGRESS 5%", true)).isTrue();

        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("Rendered 1 of 4 pixels\r\nTR_PROGRESS 5%\n");
    }

    @Test
    void aRendererThatPrintsDirectivesItselfGetsNoDuplicates() throws Exception {
        byte[] input = "ALF_PROGRESS 40%\n".getBytes(StandardCharsets.UTF_8);
        new OutputPump(new ByteArrayInputStream(input), out, true, line -> { }).run();
        ProgressPrinter printer = new ProgressPrinter(out);

        printer.offer(40f, 0);
        printer.flush(Long.MAX_VALUE);

        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("ALF_PROGRESS 40%\n");
    }

    @Test
    void aParserThatThrowsNeverBreaksTheOutput() {
        byte[] input = "a\nb\n".getBytes(StandardCharsets.UTF_8);
        new OutputPump(new ByteArrayInputStream(input), out, false, line -> {
            throw new IllegalStateException("bug");
        }).run();
        assertThat(stderr.toByteArray()).isEqualTo(input);
    }
}
