package dev.drover.coordinator.simulate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A replayable day of a farm: one line per task, {@code job,submit_s,runtime_s,service}, '#' comments and a
 * header line allowed (see sim/README.md). Times are seconds from the trace's start; runtime is what the task
 * takes on one slot.
 */
public record Trace(String name, List<Task> tasks) {

    /** One task of the trace; {@code index} is its line order, which breaks ties in submit time. */
    public record Task(int index, String job, double submitSeconds, double runtimeSeconds, String service) {
        public Task {
            service = service.toLowerCase(Locale.ROOT);
        }
    }

    public Trace {
        tasks = tasks.stream().sorted(Comparator.comparingDouble(Task::submitSeconds).thenComparingInt(Task::index))
                .toList();
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("trace " + name + " has no tasks");
        }
    }

    public static Trace load(Path file) throws IOException {
        return parse(file.getFileName().toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    /** Parses trace lines; a bad line is rejected naming the line number and the field. */
    public static Trace parse(String name, List<String> lines) {
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("job,")) {
                continue;
            }
            String[] f = line.split(",", -1);
            String at = name + " line " + (i + 1);
            if (f.length != 4) {
                throw new IllegalArgumentException(at + ": want 4 fields job,submit_s,runtime_s,service, got "
                        + f.length);
            }
            double submit = number(at, "submit_s", f[1]);
            double runtime = number(at, "runtime_s", f[2]);
            if (submit < 0 || runtime <= 0) {
                throw new IllegalArgumentException(at + ": need submit_s >= 0 and runtime_s > 0, got " + f[1] + ", "
                        + f[2]);
            }
            if (f[0].isBlank() || f[3].isBlank()) {
                throw new IllegalArgumentException(at + ": job and service must not be empty");
            }
            tasks.add(new Task(tasks.size(), f[0].strip(), submit, runtime, f[3].strip()));
        }
        return new Trace(name, tasks);
    }

    private static double number(String at, String field, String value) {
        try {
            return Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(at + ": " + field + " is not a number: '" + value + "'");
        }
    }

    /** The trace as lines of its own format. */
    public List<String> toLines() {
        List<String> out = new ArrayList<>();
        out.add("job,submit_s,runtime_s,service");
        for (Task t : tasks) {
            out.add(t.job() + "," + fmt(t.submitSeconds()) + "," + fmt(t.runtimeSeconds()) + "," + t.service());
        }
        return out;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    public double taskSeconds() {
        return tasks.stream().mapToDouble(Task::runtimeSeconds).sum();
    }
}
