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
 * the limit are passed through whole but parsed only in part.
 */
final class OutputPump implements Runnable {
    private static final int MAX_PARSED_LINE = 8192;

    private final InputStream in;
    private final TaskOutput out;
    private final boolean stdout;
    private final Consumer<String> lines;
    private final StringBuilder line = new StringBuilder();

    OutputPump(InputStream in, TaskOutput out, boolean stdout, Consumer<String> lines) {
        this.in = in;
        this.out = out;
        this.stdout = stdout;
        this.lines = lines;
    }

    @Override
    public void run() {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(stdout, buf, n);
                split(buf, n);
            }
        } catch (IOException e) {
            // the renderer closed its end; nothing more to copy
        }
        if (line.length() > 0) {
            emit();
        }
    }

    private void split(byte[] buf, int n) {
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] == '\n' || buf[i] == '\r') {
                append(buf, start, i - start);
                emit();
                start = i + 1;
            }
        }
        append(buf, start, n - start);
    }

    private void append(byte[] buf, int from, int len) {
        int room = MAX_PARSED_LINE - line.length();
        if (room > 0 && len > 0) {
            line.append(new String(buf, from, Math.min(room, len), StandardCharsets.UTF_8));
        }
    }

    private void emit() {
        String s = line.toString();
        line.setLength(0);
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
            (toStdout ? stdout : stderr).write(buf, 0, n);
            (toStdout ? stdout : stderr).flush();
            if (capture != null) {
                capture.write(buf, 0, n);
            }
            if (toStdout && n > 0) {
                atLineStart = buf[n - 1] == '\n' || buf[n - 1] == '\r';
                lastWasCarriageReturn = buf[n - 1] == '\r';
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
            if (directive && rendererDirectives) {
                return true; // the renderer reports progress itself; ours would be a duplicate
            }
            if (!atLineStart) {
                return false;
            }
            // After a bare \r the blade still sees the same line, so start a new one first.
            String prefix = lastWasCarriageReturn ? "\n" : "";
            byte[] bytes = (prefix + text + "\n").getBytes(StandardCharsets.UTF_8);
            stdout.write(bytes);
            stdout.flush();
            if (capture != null) {
                capture.write(bytes);
            }
            lastWasCarriageReturn = false;
            return true;
        }
    }
}
