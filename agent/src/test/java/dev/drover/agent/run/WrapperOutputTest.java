package dev.drover.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
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
        assertThat(lines.get(0)).isEqualTo("Rendered 1 of 4 pixels (25%)");
        assertThat(lines).as("the last line of the read, then the rest at the end").endsWith("done", "partial");
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

    @Test
    void aFloodOfLinesIsSampledButTheLastOfEachReadAndLinesThatCountAreAlwaysParsed() {
        StringBuilder flood = new StringBuilder();
        for (int i = 1; i <= 5000; i++) {
            flood.append("Fra:1 | Sample ").append(i).append("/5000\n");
            if (i == 2500) {
                flood.append("Saved: 'frame1.png'\nTR_PROGRESS 50%\n");
            }
        }
        byte[] input = bytes(flood.toString());
        List<String> lines = new ArrayList<>();

        new OutputPump(new ByteArrayInputStream(input), out, true, lines::add).run(); // a few large reads

        assertThat(stdout.toByteArray()).as("every byte still passes through").isEqualTo(input);
        assertThat(lines).contains("Saved: 'frame1.png'", "TR_PROGRESS 50%").endsWith("Fra:1 | Sample 5000/5000");
        assertThat(lines.size()).as("parsed, of 5002 lines").isLessThan(1000);
    }

    @Test
    void aTimerNeverPrintsMoreThanOnceASecond() throws Exception {
        ProgressPrinter printer = new ProgressPrinter(out);

        printer.offer(10f, 0);
        printer.offer(20f, SECOND / 4);
        printer.flush(SECOND / 2); // the timer, a quarter of a second later: still too soon
        printer.offer(30f, 3 * SECOND / 4);
        printer.flush(SECOND - 1);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("TR_PROGRESS 10%\n");

        printer.flush(SECOND);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("TR_PROGRESS 10%\nTR_PROGRESS 30%\n");
    }

    @Test
    void blockBufferedOutputGetsDirectivesAtTheLastLineEndInsideAChunk() {
        // A block-buffered renderer: every read ends mid-line, so no read ever ends at a line boundary.
        String rendered = "Fra:1 | Sample 1/4\nFra:1 | Sample 2/4\nFra:1 | Sam" + "ple 3/4\nFra:1 | Sample 4/4\nSaved: 'x";
        List<byte[]> chunks = List.of(bytes("Fra:1 | Sample 1/4\nFra:1 | Sample 2/4\nFra:1 | Sam"),
                bytes("ple 3/4\nFra:1 | Sample 4/4\nSaved: 'x"));
        ProgressPrinter printer = new ProgressPrinter(out);
        long[] clock = {0};
        List<String> lines = new ArrayList<>();

        new OutputPump(chunked(chunks), out, true, line -> {
            lines.add(line);
            clock[0] += SECOND; // one second per line, so every value is due
            int slash = line.indexOf('/');
            if (slash > 0) {
                offer(printer, 25f * Integer.parseInt(line.substring(slash - 1, slash)), clock[0]);
            }
        }, () -> flush(printer, clock[0])).run();

        String text = stdout.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("Fra:1 | Sample 2/4\nTR_PROGRESS 25%\nTR_PROGRESS 50%\n").contains("TR_PROGRESS 100%\nSaved: 'x");
        assertThat(text.replaceAll("TR_PROGRESS \\d+%\n", "")).as("the renderer's bytes, unchanged").isEqualTo(rendered);
        assertThat(lines).contains("Fra:1 | Sample 2/4", "Fra:1 | Sample 4/4", "Saved: 'x");
    }

    @Test
    void outputEndingMidLineStillGetsItsFinalValueOnALineOfItsOwn() throws Exception {
        ProgressPrinter printer = new ProgressPrinter(out);
        printer.offer(10f, 0);
        byte[] tail = bytes("Rendering 100% done");
        out.write(true, tail, tail.length);
        printer.offer(100f, 3 * SECOND);

        printer.finish(3 * SECOND);

        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .isEqualTo("TR_PROGRESS 10%\nRendering 100% done\nTR_PROGRESS 100%\n");
    }

    private static void offer(ProgressPrinter printer, float percent, long now) {
        try {
            printer.offer(percent, now);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void flush(ProgressPrinter printer, long now) {
        try {
            printer.flush(now);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Returns each chunk from a separate read, as a pipe from a block-buffered writer does. */
    private static InputStream chunked(List<byte[]> chunks) {
        ArrayDeque<byte[]> left = new ArrayDeque<>(chunks);
        return new InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                byte[] c = left.poll();
                if (c == null) {
                    return -1;
                }
                System.arraycopy(c, 0, b, off, c.length);
                return c.length;
            }
        };
    }
}
