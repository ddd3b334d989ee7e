package dev.drover.agent.run.progress;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Blender (Cycles/Eevee) output: {@code Fra:N ... | Remaining:MM:SS.ss | ... | Sample a/b} and
 * {@code Saved: '...'}. Sample steps are uneven (1, then 80, 96, 112, 128), so percent within a frame is
 * a/b. For a multi-frame task ({@code -s S -e E -a}) the task percent covers all frames.
 */
public final class BlenderParser implements ProgressParser {
    private static final Pattern FRAME = Pattern.compile("^Fra:(\\d{1,9})\\b");
    private static final Pattern SAMPLE = Pattern.compile("\\|\\s*Sample (\\d{1,9})/(\\d{1,9})\\s*$");
    private static final Pattern REMAINING = Pattern.compile("Remaining:(?:(\\d{1,4}):)?(\\d{1,4}):(\\d{1,4})(?:\\.\\d+)?");
    private static final Pattern SAVED = Pattern.compile("^Saved: '");

    private final int frameCount;
    private int framesDone;
    private int frame = -1;
    private float framePercent;

    /** @param frameCount frames this task renders (1 for {@code -f N}) */
    public BlenderParser(int frameCount) {
        this.frameCount = Math.max(1, frameCount);
    }

    /** Frames a Blender command line renders: {@code -f a,b,c}, or {@code -s S -e E ... -a}; 1 if unclear. */
    public static int frameCount(List<String> argv) {
        int start = -1;
        int end = -1;
        boolean animation = false;
        int explicit = 0;
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            String next = i + 1 < argv.size() ? argv.get(i + 1) : "";
            try {
                switch (a) {
                    case "-s", "--frame-start" -> start = Integer.parseInt(next);
                    case "-e", "--frame-end" -> end = Integer.parseInt(next);
                    case "-a", "--render-anim" -> animation = true;
                    case "-f", "--render-frame" -> explicit += countFrames(next);
                    default -> {
                    }
                }
            } catch (NumberFormatException e) {
                // not a number: leave the default
            }
        }
        if (animation && start >= 0 && end >= start) {
            return end - start + 1;
        }
        return Math.max(1, explicit);
    }

    private static int countFrames(String spec) {
        int n = 0;
        for (String part : spec.split(",")) {
            int dots = part.indexOf("..");
            n += dots > 0 ? Integer.parseInt(part.substring(dots + 2).trim()) - Integer.parseInt(part.substring(0, dots).trim()) + 1 : 1;
        }
        return n;
    }

    @Override
    public String name() {
        return "blender";
    }

    @Override
    public Optional<Progress> accept(String line) {
        if (SAVED.matcher(line).find()) {
            framesDone = Math.min(frameCount, framesDone + 1);
            framePercent = 0;
            return Optional.of(progress(-1));
        }
        Matcher f = FRAME.matcher(line);
        if (!f.find()) {
            return Optional.empty();
        }
        int thisFrame = Integer.parseInt(f.group(1));
        if (thisFrame != frame) {
            frame = thisFrame;
            framePercent = 0;
        }
        Matcher s = SAMPLE.matcher(line);
        if (s.find()) {
            int done = Integer.parseInt(s.group(1));
            int total = Integer.parseInt(s.group(2));
            if (total > 0 && done <= total) {
                framePercent = Math.max(framePercent, 100f * done / total); // never backwards within a frame
            }
        }
        return Optional.of(progress(eta(line)));
    }

    private Progress progress(int eta) {
        float percent = Math.min(100f, (framesDone * 100f + Math.min(framePercent, 99.99f)) / frameCount);
        if (framesDone == frameCount) {
            percent = 100f;
        }
        return new Progress(percent, frame, eta);
    }

    private static int eta(String line) {
        Matcher r = REMAINING.matcher(line);
        if (!r.find()) {
            return -1;
        }
        int h = r.group(1) != null ? Integer.parseInt(r.group(1)) : 0;
        return h * 3600 + Integer.parseInt(r.group(2)) * 60 + Integer.parseInt(r.group(3));
    }
}
