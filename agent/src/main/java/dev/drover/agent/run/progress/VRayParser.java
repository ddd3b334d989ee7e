package dev.drover.agent.run.progress;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * V-Ray Standalone: {@code Rendering image...:  45.50% [ 0h  0m  2.3s] [ 0h  0m  3.1s est]} (the progress
 * line of its console log, with the elapsed and estimated-remaining times in brackets).
 */
public final class VRayParser implements ProgressParser {
    private static final Pattern RENDERING = Pattern.compile("Rendering image\\.\\.\\.:\\s*(\\d{1,3}(?:\\.\\d+)?)%");
    private static final Pattern EST = Pattern.compile("\\[\\s*(\\d{1,5})h\\s+(\\d{1,2})m\\s+(\\d{1,2})(?:\\.\\d+)?s est\\]");
    private float best;

    @Override
    public String name() {
        return "vray";
    }

    @Override
    public Optional<Progress> accept(String line) {
        Matcher m = RENDERING.matcher(line);
        if (!m.find()) {
            return Optional.empty();
        }
        float value = Float.parseFloat(m.group(1));
        if (value > 100) {
            return Optional.empty();
        }
        best = Math.max(best, value);
        Matcher e = EST.matcher(line);
        int eta = e.find() ? Integer.parseInt(e.group(1)) * 3600 + Integer.parseInt(e.group(2)) * 60
                + Integer.parseInt(e.group(3)) : -1;
        return Optional.of(new Progress(best, -1, eta));
    }
}
