package dev.drover.agent.run.progress;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Arnold {@code kick}: log lines such as {@code 00:00:05  1432MB | 45% done - 107 rays/pixel}
 * (Arnold User Guide, "Log verbosity": render progress is logged in 5 % steps as "N% done").
 */
public final class ArnoldParser implements ProgressParser {
    private static final Pattern DONE = Pattern.compile("\\|\\s+(\\d{1,3})% done\\b");
    private float best;

    @Override
    public String name() {
        return "arnold";
    }

    @Override
    public Optional<Progress> accept(String line) {
        Matcher m = DONE.matcher(line);
        if (!m.find()) {
            return Optional.empty();
        }
        int value = Integer.parseInt(m.group(1));
        if (value > 100) {
            return Optional.empty();
        }
        best = Math.max(best, value);
        return Optional.of(Progress.of(best));
    }
}
