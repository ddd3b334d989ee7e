package dev.drover.agent.run;

import dev.drover.agent.run.progress.Directives;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Copies one of the renderer's output streams to ours byte for byte, and hands each complete line (ended by
 * \n or \r — POV-Ray separates progress with carriage returns) to the progress parser. Lines longer than
 * the limit are passed through whole but parsed only in part. Each chunk read is written in two parts, up
 * to its last line end and then the rest, with a hook in between: that is where our own lines (TR_PROGRESS,
 * notices) can go at a line start even when the renderer's output is block-buffered and so every chunk
 * ends mid-line.
 */
final class OutputPump implements Runnable {
    private static final int MAX_PARSED_LINE = 8192;

    private final InputStream in;
    private final TaskOutput out;
    private final boolean stdout;
    private final Consumer<String> lines;
    private final Runnable atLineStart;
    /** A pipe holds 64 KiB: reading it whole takes fewer system calls than 8 KiB reads when output floods. */
    private static final int READ_BUFFER = 64 * 1024;
    private static final long PARSE_INTERVAL_NANOS = 20_000_000;
    private static final byte[][] ALWAYS_PARSED = {bytes("TR_PROGRESS"), bytes("ALF_PROGRESS"), bytes("R90000"),
        bytes("["), bytes("Saved: '")};
    private final byte[] line = new byte[MAX_PARSED_LINE];
    private int lineLength;
    private long lastParseNanos = System.nanoTime() - PARSE_INTERVAL_NANOS;

    OutputPump(InputStream in, TaskOutput out, boolean stdout, Consumer<String> lines) {
        this(in, out, stdout, lines, () -> { });
    }

    /** @param atLineStart run (on stdout) after the part of a chunk that ends at a line end was written */
    OutputPump(InputStream in, TaskOutput out, boolean stdout, Consumer<String> lines, Runnable atLineStart) {
        this.in = in;
        this.out = out;
        this.stdout = stdout;
        this.lines = lines;
        this.atLineStart = atLineStart;
    }

    @Override
    public void run() {
        byte[] buf = new byte[READ_BUFFER];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                int lastEnd = lastLineEnd(buf, n);
                if (stdout && lastEnd >= 0 && lastEnd < n - 1) {
                    out.write(true, buf, 0, lastEnd + 1);
                    split(buf, lastEnd + 1);
                    atLineStart.run();
                    out.write(true, buf, lastEnd + 1, n - lastEnd - 1);
                    splitFrom(buf, lastEnd + 1, n);
                } else {
                    out.write(stdout, buf, 0, n);
                    split(buf, n);
                    if (stdout && lastEnd >= 0) {
                        atLineStart.run();
                    }
                }
            }
        } catch (IOException e) {
            // the renderer closed its end; nothing more to copy
        }
        if (lineLength > 0) {
            emit();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static int lastLineEnd(byte[] buf, int n) {
        for (int i = n - 1; i >= 0; i--) {
            if (buf[i] == '\n' || buf[i] == '\r') {
                return i;
            }
        }
        return -1;
    }

    private void split(byte[] buf, int n) {
        splitFrom(buf, 0, n);
    }

    private void splitFrom(byte[] buf, int from, int n) {
        int lastEnd = -1;
        for (int i = n - 1; i >= from; i--) {
            if (buf[i] == '\n' || buf[i] == '\r') {
                lastEnd = i;
                break;
            }
        }
        int start = from;
        for (int i = from; i < n; i++) {
            if (buf[i] == '\n' || buf[i] == '\r') {
                append(buf, start, i - start);
                endLine(i == lastEnd);
                start = i + 1;
            }
        }
        append(buf, start, n - start);
    }

    private void append(byte[] buf, int from, int len) {
        int take = Math.min(MAX_PARSED_LINE - lineLength, len);
        if (take > 0) {
            System.arraycopy(buf, from, line, lineLength, take);
            lineLength += take;
        }
    }

    /**
     * A line ended. It is parsed if it is the last complete line of this read (so the latest value always
     * counts), if {@link #PARSE_INTERVAL_NANOS} passed since the last parse, or if it starts like a line that
     * must never be skipped (a directive; Blender's {@code Saved:}, which counts frames). Progress is latest
     * value, so skipping the lines in between loses nothing, and a render printing 100k lines a second is
     * not slowed down by parsing them all.
     */
    private void endLine(boolean lastInRead) {
        long now = System.nanoTime();
        boolean parse = lastInRead || now - lastParseNanos >= PARSE_INTERVAL_NANOS || mustParse();
        if (parse && lineLength > 0) {
            lastParseNanos = now;
            emit();
        }
        lineLength = 0;
    }

    private boolean mustParse() {
        for (byte[] prefix : ALWAYS_PARSED) {
            if (lineLength >= prefix.length && java.util.Arrays.equals(line, 0, prefix.length, prefix, 0, prefix.length)) {
                return true;
            }
        }
        return false;
    }

    private void emit() {
        String s = new String(line, 0, lineLength, StandardCharsets.UTF_8);
        lineLength = 0;
        if (Directives.isDirective(s)) {
            out.rendererSpeaksDirectives();
        }
        try {
            lines.accept(s);
        } catch (RuntimeException e) {
            // a parser bug must never break the render's output
        }
    }

    /** Our stdout and stderr, shared by both pumps and the progress printer. */
    static final class TaskOutput {
        private final OutputStream stdout;
        private final OutputStream stderr;
        private final OutputStream capture;
        private boolean atLineStart = true;
        private boolean lastWasCarriageReturn;
        private volatile boolean rendererDirectives;

        TaskOutput(OutputStream stdout, OutputStream stderr, OutputStream capture) {
            this.stdout = stdout;
            this.stderr = stderr;
            this.capture = capture;
        }

        synchronized void write(boolean toStdout, byte[] buf, int n) throws IOException {
            write(toStdout, buf, 0, n);
        }

        synchronized void write(boolean toStdout, byte[] buf, int off, int n) throws IOException {
            (toStdout ? stdout : stderr).write(buf, off, n);
            (toStdout ? stdout : stderr).flush();
            if (capture != null) {
                capture.write(buf, off, n);
            }
            if (toStdout && n > 0) {
                byte last = buf[off + n - 1];
                atLineStart = last == '\n' || last == '\r';
                lastWasCarriageReturn = last == '\r';
            }
        }

        void rendererSpeaksDirectives() {
            rendererDirectives = true;
        }

        /**
         * Writes a line of our own (a TR_PROGRESS directive or a notice) at the start of a stdout line, where
         * the blade looks for directives. Returns false if the renderer is mid-line; the caller retries later.
         */
        synchronized boolean writeLine(String text, boolean directive) throws IOException {
            return writeLine(text, directive, false);
        }

        /**
         * As {@link #writeLine(String, boolean)}; with {@code force} (at the very end, when the renderer's
         * output ended mid-line) a line end is added first so that the last value still reaches the blade.
         */
        synchronized boolean writeLine(String text, boolean directive, boolean force) throws IOException {
            if (directive && rendererDirectives) {
                return true; // the renderer reports progress itself; ours would be a duplicate
            }
            if (!atLineStart && !force) {
                return false;
            }
            // After a bare \r the blade still sees the same line, so start a new one first.
            String prefix = lastWasCarriageReturn || !atLineStart ? "\n" : "";
            byte[] bytes = (prefix + text + "\n").getBytes(StandardCharsets.UTF_8);
            stdout.write(bytes);
            stdout.flush();
            if (capture != null) {
                capture.write(bytes);
            }
            lastWasCarriageReturn = false;
            atLineStart = true;
            return true;
        }
    }
}
