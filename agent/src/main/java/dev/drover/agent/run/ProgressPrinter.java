package dev.drover.agent.run;

import java.io.IOException;

/**
 * Decides when to print {@code TR_PROGRESS nn%} for the blade: only when the whole-number value changes,
 * never backwards, and at most about once a second (the blade forwards at most one update a second
 * anyway, specs §2.4) — whoever asks: the pump at a line end, the timer, or a new value. The last value is
 * always printed at the end, on a line of its own even when the output ended mid-line. Pure apart from the
 * output it is given.
 */
final class ProgressPrinter {
    private static final long MIN_INTERVAL_NANOS = 1_000_000_000L;

    private final OutputPump.TaskOutput out;
    private int printed = -1;
    private int pending = -1;
    private long lastPrintNanos;

    ProgressPrinter(OutputPump.TaskOutput out) {
        this.out = out;
    }

    synchronized void offer(float percent, long nowNanos) throws IOException {
        int value = (int) Math.floor(percent);
        if (value <= Math.max(printed, pending)) {
            return;
        }
        pending = value;
        flush(nowNanos);
    }

    /** Prints the pending value, if any and if the last print was a second ago; by the pump and a timer. */
    synchronized void flush(long nowNanos) throws IOException {
        if (pending > printed && (printed < 0 || nowNanos - lastPrintNanos >= MIN_INTERVAL_NANOS)
                && out.writeLine("TR_PROGRESS " + pending + "%", true)) {
            printed = pending;
            lastPrintNanos = nowNanos;
        }
    }

    /** At the end: the pending value now, starting a new line if the renderer's output ended mid-line. */
    synchronized void finish(long nowNanos) throws IOException {
        if (pending > printed && out.writeLine("TR_PROGRESS " + pending + "%", true, true)) {
            printed = pending;
            lastPrintNanos = nowNanos;
        }
    }
}
