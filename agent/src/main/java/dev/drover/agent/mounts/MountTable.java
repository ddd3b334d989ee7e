package dev.drover.agent.mounts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads /proc/self/mountinfo to tell whether a path is a mount point. Pure parsing, tested on captured text. */
public final class MountTable {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountTable() {
    }

    public static boolean isMounted(String mountPoint) {
        try {
            return contains(Files.readString(MOUNTINFO), mountPoint);
        } catch (IOException e) {
            return false;
        }
    }

    /** Field 5 of each line is the mount point, with spaces and the like escaped as octal (e.g. {@code \040}). */
    static boolean contains(String mountinfo, String mountPoint) {
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            if (f.length > 4 && unescape(f[4]).equals(mountPoint)) {
                return true;
            }
        }
        return false;
    }

    static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
