package dev.drover.coordinator.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The coordinator's stop-the-world pauses (its {@code -Xlog:safepoint} log, wall-clock stamped) set against the
 * probe's slow samples: how much of the send→visible tail the JVM's own pauses explain. A safepoint line is
 * written when the pause ends, and names its cause (a collection, a deoptimisation, ...).
 */
final class PauseLog {
    /** The JVM options that write the log this class reads. */
    static List<String> jvmOptions(Path log) {
        return List.of("-Xlog:safepoint=info:file=" + log + ":time");
    }

    private static final Pattern LINE = Pattern.compile(
            "^\\[([^\\]]+)\\].*Safepoint \"([^\"]+)\".*Total: (\\d+) ns");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

    record Pause(long startMillis, long endMillis, String cause) {
        long millis() {
            return endMillis - startMillis;
        }
    }

    /** One probe sample: sent at this wall-clock time, visible this many ms later. */
    record Sample(long sentMillis, long millis) {
    }

    static List<Pause> read(Path log) throws IOException {
        List<Pause> pauses = new ArrayList<>();
        if (!Files.exists(log)) {
            return pauses;
        }
        for (String line : Files.readAllLines(log)) {
            Matcher m = LINE.matcher(line);
            if (m.find()) {
                long end = OffsetDateTime.parse(m.group(1), TIME).toInstant().toEpochMilli();
                long total = Long.parseLong(m.group(3)) / 1_000_000;
                pauses.add(new Pause(end - total, end, m.group(2)));
            }
        }
        return pauses;
    }

    /**
     * For the samples slower than {@code slowMillis}: how many overlapped a pause, the pause time inside them,
     * and the longest pause and its cause; and the pauses over the whole window.
     */
    static JsonObject attribute(List<Sample> samples, List<Pause> pauses, long slowMillis) {
        long from = samples.isEmpty() ? 0 : samples.get(0).sentMillis();
        long to = samples.isEmpty() ? 0 : samples.get(samples.size() - 1).sentMillis()
                + samples.get(samples.size() - 1).millis();
        List<Pause> inWindow = pauses.stream().filter(p -> p.endMillis() >= from && p.startMillis() <= to).toList();
        Pause longest = inWindow.stream().max(java.util.Comparator.comparingLong(Pause::millis)).orElse(null);
        int slow = 0;
        int slowWithPause = 0;
        long slowTotal = 0;
        long pausedInSlow = 0;
        for (Sample s : samples) {
            if (s.millis() < slowMillis) {
                continue;
            }
            slow++;
            slowTotal += s.millis();
            long overlap = 0;
            for (Pause p : inWindow) {
                overlap += Math.max(0, Math.min(p.endMillis(), s.sentMillis() + s.millis())
                        - Math.max(p.startMillis(), s.sentMillis()));
            }
            if (overlap > 0) {
                slowWithPause++;
            }
            pausedInSlow += overlap;
        }
        return new JsonObject().put("slowSampleMillis", slowMillis).put("slowSamples", slow)
                .put("slowSamplesOverlappingAPause", slowWithPause).put("slowSamplesTotalMillis", slowTotal)
                .put("pausedMillisInsideSlowSamples", pausedInSlow).put("pausesInWindow", inWindow.size())
                .put("pausedMillisInWindow", inWindow.stream().mapToLong(Pause::millis).sum())
                .put("longestPauseMillis", longest == null ? 0 : longest.millis())
                .put("longestPauseCause", longest == null ? "" : longest.cause());
    }
}
