package dev.drover.agent.run.progress;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** POV-Ray 3.7: {@code Rendered a of b pixels (p%)}, written with carriage returns between updates. */
public final class PovRayParser implements ProgressParser {
    private static final Pattern RENDERED = Pattern.compile("Rendered (\\d{1,15}) of (\\d{1,15}) pixels");
    private float best;

    @Override
    public String name() {
        return "povray";
    }

    @Override
    public Optional<Progress> accept(String line) {
        Matcher m = RENDERED.matcher(line);
        if (!m.find()) {
            return Optional.empty();
        }
        long done = Long.parseLong(m.group(1));
        long total = Long.parseLong(m.group(2));
        if (total <= 0 || done > total) {
            return Optional.empty();
        }
        best = Math.max(best, 100f * done / total);
        return Optional.of(Progress.of(best));
    }
}
