package dev.drover.coordinator.faults;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts executions of built-in-queue tasks by their side effects: each task's argv is a shell script that
 * appends "start", one "tick" a second and "end" (with its shell PID and the time in ms) to a file of its own,
 * so the test sees every run — also one whose agent was killed, or one running twice at once.
 */
final class TaskMarks {
    private final Path dir;

    TaskMarks(Path dir) {
        this.dir = dir;
    }

    /** One execution of a task: its shell's PID, when it started, the last sign of life, and its end (-1: none). */
    record Run(long pid, long startMs, long lastMs, long endMs) {
        boolean completed() {
            return endMs >= 0;
        }

        boolean overlaps(Run o) {
            return startMs <= o.lastMs && o.startMs <= lastMs;
        }
    }

    /** A task that runs {@code seconds}, leaving marks in its own file; title = name. */
    JsonObject task(String name, int seconds) {
        Path f = dir.resolve(name + ".marks");
        String script = "f='" + f + "'; echo \"start $$ $(date +%s%3N)\" >> \"$f\"; i=0; while [ $i -lt " + seconds
                + " ]; do sleep 1; i=$((i+1)); echo \"tick $$ $(date +%s%3N)\" >> \"$f\"; done;"
                + " echo \"end $$ $(date +%s%3N)\" >> \"$f\"";
        return new JsonObject().put("title", name).put("argv", new JsonArray().add("sh").add("-c").add(script));
    }

    static JsonObject job(String title, String serviceKey, List<JsonObject> tasks) {
        return new JsonObject().put("title", title).put("serviceKey", serviceKey).put("tasks", new JsonArray(tasks));
    }

    List<Run> runs(String name) throws IOException {
        Path f = dir.resolve(name + ".marks");
        if (!Files.exists(f)) {
            return List.of();
        }
        Map<Long, long[]> byPid = new LinkedHashMap<>(); // pid -> {start, last, end}
        for (String line : Files.readAllLines(f)) {
            String[] p = line.trim().split(" ");
            if (p.length != 3) {
                continue;
            }
            long pid = Long.parseLong(p[1]);
            long at = Long.parseLong(p[2]);
            long[] r = byPid.computeIfAbsent(pid, k -> new long[] {at, at, -1});
            r[1] = Math.max(r[1], at);
            if (p[0].equals("end")) {
                r[2] = at;
            }
        }
        List<Run> runs = new ArrayList<>();
        byPid.forEach((pid, r) -> runs.add(new Run(pid, r[0], r[1], r[2])));
        return runs;
    }

    List<Run> runsUnchecked(String name) {
        try {
            return runs(name);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    long completedRuns(String name) throws IOException {
        return runs(name).stream().filter(Run::completed).count();
    }

    /** True if two executions of the task were alive at the same time. */
    boolean ranTwiceAtOnce(String name) throws IOException {
        List<Run> runs = runs(name);
        for (int i = 0; i < runs.size(); i++) {
            for (int j = i + 1; j < runs.size(); j++) {
                if (runs.get(i).overlaps(runs.get(j))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Kills what is left of every run (orphans of a killed agent), by PID. */
    void killAll(List<String> names) throws IOException {
        for (String n : names) {
            String file = dir.resolve(n + ".marks").toString();
            for (Run r : runs(n)) {
                ProcessHandle.of(r.pid()).filter(h -> String.join(" ", h.info().arguments().orElse(new String[0]))
                        .contains(file)).ifPresent(h -> {
                    h.descendants().forEach(ProcessHandle::destroyForcibly);
                    h.destroyForcibly();
                });
            }
        }
    }
}
