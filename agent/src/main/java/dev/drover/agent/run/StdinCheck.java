package dev.drover.agent.run;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether our fd 0 is the stdin we were given. Started with stdin closed ({@code <&-}), the JVM's first
 * open reuses fd 0 for a file of its own (its {@code lib/modules}, a jar); handing that to the render as
 * its stdin would let it read the JVM's files. The launcher script already replaces a closed stdin with
 * /dev/null; this catches drover-run started as plain {@code java}.
 */
final class StdinCheck {
    private StdinCheck() {
    }

    static boolean usable() {
        Path target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/0"));
        } catch (IOException | UnsupportedOperationException e) {
            return !Files.isDirectory(Path.of("/proc/self/fd")); // no fd 0 at all (or no /proc to ask)
        }
        return !openedByJvm(target.toString());
    }

    static boolean openedByJvm(String target) {
        String javaHome = System.getProperty("java.home", "");
        if (!javaHome.isEmpty()) {
            for (String home : new String[] {javaHome, realPath(javaHome)}) {
                if (target.startsWith(home + File.separator)) {
                    return true;
                }
            }
        }
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!entry.isEmpty() && (target.equals(Path.of(entry).toAbsolutePath().normalize().toString())
                    || target.equals(realPath(entry)))) {
                return true;
            }
        }
        return false;
    }

    private static String realPath(String path) {
        try {
            return Path.of(path).toRealPath().toString();
        } catch (IOException | RuntimeException e) {
            return path;
        }
    }
}
