package dev.drover.coordinator.simulate;

import dev.drover.coordinator.store.QueueStore;
import dev.drover.coordinator.store.RunHistory.TaskLine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns the built-in queue's history into a simulator trace ({@link Trace}'s format, sim/README.md): one line
 * per task that succeeded, the rest counted in a header comment. Pure: rows in, lines out.
 */
public final class TraceExport {
    private TraceExport() {
    }

    /**
     * The trace: '#' header comments (source, window, what each field means, what was left out), the column line,
     * then one line per task with a successful run. {@code submit_s} counts from the first job in the window.
     */
    public static List<String> lines(String source, String window, List<TaskLine> tasks) {
        String start = tasks.isEmpty() ? "none in the window" : tasks.get(0).submittedAt().toString();
        List<String> body = new ArrayList<>(tasks.size());
        int neverSucceeded = 0;
        for (TaskLine t : tasks) {
            if (t.runtimeMillis() == null) {
                neverSucceeded++;
            } else {
                double submit = (t.submittedAt().toEpochMilli() - tasks.get(0).submittedAt().toEpochMilli()) / 1000.0;
                double runtime = Math.max(1, t.runtimeMillis()) / 1000.0; // the format wants runtime_s > 0
                body.add(t.jid() + "," + seconds(submit) + "," + seconds(runtime) + "," + service(t.serviceKey()));
            }
        }
        List<String> out = new ArrayList<>(body.size() + 6);
        out.add("# drover-coordinator export-trace: built-in queue history of " + source + ", jobs submitted "
                + window);
        out.add("# submit_s: seconds from the first job's submission (" + start + "); runtime_s: the task's last"
                + " successful run, from the coordinator sending it to applying its finish; service: the job's key"
                + " (',' written as '||')");
        out.add("# tasks written: " + body.size() + "; omitted: " + neverSucceeded + " with no successful run in the"
                + " history (failed, not finished yet, or ended more than " + QueueStore.RUN_RETENTION.toDays()
                + " days ago)");
        out.add("job,submit_s,runtime_s,service");
        out.addAll(body);
        return out;
    }

    /**
     * The key as the trace can carry it: the format has no quoting, and in a Tractor key expression {@code ,}
     * and {@code ||} both mean "either" (tractor/ServiceKeyExpression), so the meaning is kept.
     */
    static String service(String key) {
        return key.replace(",", "||");
    }

    /** Milliseconds, no trailing zeros: what the store keeps, nothing invented. */
    private static String seconds(double v) {
        String s = String.format(Locale.ROOT, "%.3f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
