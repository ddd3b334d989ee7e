package dev.drover.coordinator.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a fault run measured (events sent, applied, lost, duplicated; recovery times), written before the
 * assertions so a failing run still leaves its figures: one line per scenario in
 * {@code target/it-artifacts/faults/figures.txt}, the source of RELIABILITY.md's tables.
 */
final class Figures {
    private final String scenario;
    private final Map<String, Object> values = new LinkedHashMap<>();

    Figures(String scenario) {
        this.scenario = scenario;
    }

    Figures put(String key, Object value) {
        values.put(key, value);
        return this;
    }

    Object get(String key) {
        return values.get(key);
    }

    void write() {
        StringBuilder line = new StringBuilder(Instant.now() + " " + scenario);
        values.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        try {
            Path f = Path.of("target", "it-artifacts", "faults", "figures.txt");
            Files.createDirectories(f.getParent());
            Files.writeString(f, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return scenario + " " + values;
    }
}
