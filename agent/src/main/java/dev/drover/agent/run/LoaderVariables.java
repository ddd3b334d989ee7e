package dev.drover.agent.run;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Environment variables that change how a program is loaded or how libc behaves (glibc's list for secure-mode
 * programs, {@code UNSECURE_ENVVARS}, and every {@code LD_*}). The root helper starts {@code setpriv} with the
 * task's environment, and setpriv runs as root until it has switched users: with {@code LD_PRELOAD} from the
 * agent it would load the agent's choice of library as root. So the helper passes them sheltered under
 * {@value #PREFIX}NAME, which no loader reads, and drover-run — by then the task's user — gives them back to
 * the render under their own names (renderers do need {@code LD_LIBRARY_PATH}).
 */
public final class LoaderVariables {
    public static final String PREFIX = "DROVER_SHELTERED_";
    private static final Set<String> UNSECURE = Set.of("GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN",
            "LOCPATH", "MALLOC_TRACE", "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "TZDIR",
            "MALLOC_CHECK_", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES");

    private LoaderVariables() {
    }

    static boolean affectsLoading(String name) {
        return name.startsWith("LD_") || UNSECURE.contains(name);
    }

    /** The environment with loader variables renamed, safe to hand to a program that starts as root. */
    public static Map<String, String> shelter(Map<String, String> env) {
        Map<String, String> out = new HashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(PREFIX)) {
                return; // only the helper shelters; an agent-made one would be given to the render unchecked
            }
            out.put(affectsLoading(name) ? PREFIX + name : name, value);
        });
        return out;
    }

    /** Undoes {@link #shelter} in place: called by drover-run for the render's environment. */
    public static void restore(Map<String, String> env) {
        for (String name : Set.copyOf(env.keySet())) {
            if (name.startsWith(PREFIX)) {
                String value = env.remove(name);
                env.put(name.substring(PREFIX.length()), value);
            }
        }
    }
}
