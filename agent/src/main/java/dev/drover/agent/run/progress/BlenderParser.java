package dev.drover.agent.run.progress;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Blender (Cycles/Eevee) output: {@code Fra:N ... | Remaining:MM:SS.ss | ... | Sample a/b} and
 * {@code Saved: '...'}. Sample steps are uneven (1, then 80, 96, 112, 128), so percent within a frame is
 * a/b; with Cycles' tiled output (the default above 2048 px) {@code | Rendered t/T Tiles, Sample a/b} it is
 * (t + a/b) / T, counting a tile's samples only while they are not all done. For a multi-frame task
 * ({@code -s S -e E [-j J] -a}) the task percent covers all frames; when the frame count is unknown
 * ({@code -a} with the scene's own range) the percent stays at 0 (frame and ETA are still reported), since
 * any other value would claim a completion nobody knows: a task never reads 100 % before its last frame.
 */
public final class BlenderParser implements ProgressParser {
    private static final Pattern FRAME = Pattern.compile("^Fra:(\\d{1,9})\\b");
    private static final Pattern SAMPLE = Pattern.compile("[|,]\\s*Sample (\\d{1,9})/(\\d{1,9})\\s*$");
    private static final Pattern TILES = Pattern.compile("\\|\\s*Rendered (\\d{1,9})/(\\d{1,9}) Tiles");
    private static final Pattern REMAINING = Pattern.compile("Remaining:(?:(\\d{1,4}):)?(\\d{1,4}):(\\d{1,4})(?:\\.\\d+)?");
    private static final Pattern SAVED = Pattern.compile("^Saved: '");

    private final int frameCount;
    private int framesDone;
    private int frame = -1;
    private float framePercent;

    /** @param frameCount frames this task renders (1 for {@code -f N}); 0 or less when unknown */
    public BlenderParser(int frameCount) {
        this.frameCount = Math.max(0, frameCount);
    }

    /**
     * Frames a Blender command line renders: {@code -f a,b,c}, or {@code -s S -e E [-j J] -a} (Blender applies
     * its arguments in order, so only a range given before {@code -a} counts); 0 for {@code -a} without a
     * full range (the scene's range, unknown here); 1 if nothing says otherwise.
     */
    public static int frameCount(List<String> argv) {
        int start = -1;
        int end = -1;
        int step = 1;
        int animationFrames = -1;
        int explicit = 0;
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            String next = i + 1 < argv.size() ? argv.get(i + 1) : "";
            try {
                switch (a) {
                    case "-s", "--frame-start" -> start = Integer.parseInt(next);
                    case "-e", "--frame-end" -> end = Integer.parseInt(next);
                    case "-j", "--frame-jump" -> step = Math.max(1, Integer.parseInt(next));
                    case "-a", "--render-anim" -> animationFrames = start >= 0 && end >= start
                            ? (end - start) / step + 1 : 0;
                    case "-f", "--render-frame" -> explicit += countFrames(next);
                    default -> {
                    }
                }
            } catch (NumberFormatException e) {
                // not a number: leave the default
            }
        }
        if (animationFrames >= 0) {
            return animationFrames + explicit;
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
        if (!line.startsWith("Fra:") && !line.startsWith("Saved: '")) {
            return Optional.empty(); // most lines: no regex at all
        }
        if (SAVED.matcher(line).find()) {
            framesDone = frameCount > 0 ? Math.min(frameCount, framesDone + 1) : framesDone + 1;
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
                float fraction = (float) done / total;
                Matcher t = TILES.matcher(line);
                if (line.contains(" Tiles") && t.find()) {
                    int tilesDone = Integer.parseInt(t.group(1));
                    int tiles = Integer.parseInt(t.group(2));
                    if (tiles <= 0 || tilesDone > tiles) {
                        return Optional.of(progress(eta(line)));
                    }
                    // "Rendered t/T" counts finished tiles; a full sample count belongs to the tile just done
                    fraction = (tilesDone + (done < total ? fraction : 0)) / tiles;
                }
                framePercent = Math.max(framePercent, 100f * fraction); // never backwards within a frame
            }
        }
        return Optional.of(progress(eta(line)));
    }

    private Progress progress(int eta) {
        if (frameCount == 0) {
            return new Progress(0f, frame, eta);
        }
        float percent = Math.min(100f, (framesDone * 100f + Math.min(framePercent, 99.99f)) / frameCount);
        if (framesDone == frameCount) {
            percent = 100f;
        }
        return new Progress(percent, frame, eta);
    }

    private static int eta(String line) {
        Matcher r = REMAINING.matcher(line);
        if (!line.contains("Remaining:") || !r.find()) {
            return -1;
        }
        int h = r.group(1) != null ? Integer.parseInt(r.group(1)) : 0;
        return h * 3600 + Integer.parseInt(r.group(2)) * 60 + Integer.parseInt(r.group(3));
    }
}
