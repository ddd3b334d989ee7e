package dev.drover.agent.run.progress;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The progress directives Tractor's blade itself understands (specs/tractor-and-cyclecloud.md §2.4):
 * {@code TR_PROGRESS nn%}, {@code ALF_PROGRESS nn%} (the % optional; Houdini Mantra/Karma, Maya and others),
 * RenderMan's {@code R90000  nn%}, and netrender's {@code [nn] R90000  nn%}. Such lines are passed through
 * untouched so the blade still sees them.
 */
public final class Directives implements ProgressParser {
    private static final Pattern DIRECTIVE = Pattern.compile(
            "^(?:TR_PROGRESS\\s+(\\d{1,3})\\s*%|ALF_PROGRESS\\s+(\\d{1,3})\\s*%?|(?:\\[\\d+\\]\\s*)?R90000\\s+(\\d{1,3})\\s*%)");

    /** True if the line is a directive the blade parses by itself. */
    public static boolean isDirective(String line) {
        return DIRECTIVE.matcher(line).find();
    }

    @Override
    public String name() {
        return "directives";
    }

    @Override
    public Optional<Progress> accept(String line) {
        Matcher m = DIRECTIVE.matcher(line);
        if (!m.find()) {
            return Optional.empty();
        }
        String digits = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        int value = Integer.parseInt(digits);
        return value <= 100 ? Optional.of(Progress.of(value)) : Optional.empty();
    }
}
