package dev.drover.agent.run;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A task's environment and working directory, kept away from root. The root helper (or, without it, the agent
 * running as root) starts {@code setpriv},
 * which runs as root until it has switched to the task's user, so nothing the agent chose may change how it
 * runs: not {@code LD_PRELOAD} and the other loader variables, not {@code LANG} or {@code LC_*} naming a locale
 * by path, nor anything glibc or setpriv may read tomorrow. An allowlist, not a denylist: every variable of the
 * task goes under {@value #PREFIX}NAME, which nothing reads, and root's setpriv gets only a fixed environment
 * of the helper's own. The working directory is entered by drover-run as the task's user (by root it would let
 * the task into a directory its user may not enter). drover-run, by then the task's user, gives the render
 * the task's variables back under their own names (all but {@value #MARKER}), and starts it in that directory.
 */
public final class ShelteredEnvironment {
    public static final String PREFIX = "DROVER_SHELTERED_";
    /** Set by the helper: this process's environment is sheltered, and the render gets only what it held. */
    static final String MARKER = "DROVER_SHELTERED";
    /** The directory the render starts in, entered by drover-run as the task's user. */
    static final String WORKING_DIR = "DROVER_TASK_WORKING_DIR";
    /** What root's setpriv and drover-run's own JVM run with: the helper's choice, none of the agent's. */
    private static final Map<String, String> FOR_ROOT = Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG", "C.UTF-8", MARKER, "1");

    private ShelteredEnvironment() {
    }

    /**
     * Makes {@code pb} start as root safely: the fixed environment with the task's variables sheltered, in /.
     * Throws IllegalArgumentException for a name or value the OS cannot take (a NUL), before anything starts.
     */
    public static void applyTo(ProcessBuilder pb, Map<String, String> env, String workingDir) {
        pb.environment().clear();
        pb.environment().putAll(shelter(env, workingDir));
        pb.directory(new java.io.File("/"));
    }

    /** The environment to hand to a program that starts as root: fixed, with the task's variables sheltered. */
    static Map<String, String> shelter(Map<String, String> env, String workingDir) {
        Map<String, String> out = new HashMap<>(FOR_ROOT);
        env.forEach((name, value) -> {
            // every name is prefixed, so none can stand in for root's fixed ones; only the marker is dropped, or a
            // drover-run inside the render would take the render's own environment for a sheltered one
            if (!name.equals(MARKER)) {
                out.put(PREFIX + name, value);
            }
        });
        if (!workingDir.isEmpty()) {
            out.put(WORKING_DIR, workingDir);
        }
        return out;
    }

    /** A task variable as drover-run reads it for itself: the sheltered value when the helper started it. */
    static String getenv(Map<String, String> own, String name) {
        return own.containsKey(MARKER) ? own.get(PREFIX + name) : own.get(name);
    }

    /** Where the render starts when the helper started us; empty: where drover-run itself runs. */
    static Optional<String> workingDir(Map<String, String> own) {
        return own.containsKey(MARKER) ? Optional.ofNullable(own.get(WORKING_DIR)) : Optional.empty();
    }

    /** Undoes {@link #shelter} in place for the render: the task's variables, none of root's fixed ones. */
    static void restore(Map<String, String> env) {
        if (!env.containsKey(MARKER)) {
            return; // not started by the helper (Tractor's blade, a shell): the environment is the task's own
        }
        Map<String, String> task = new HashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(PREFIX)) {
                task.put(name.substring(PREFIX.length()), value);
            }
        });
        env.clear();
        env.putAll(task);
    }
}
