package dev.drover.agent.runtask;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/** A user's ids as the system resolves them (id(1): passwd, and LDAP/SSSD where the node uses them). */
public final class UnixUsers {
    private UnixUsers() {
    }

    /** The user's uid, or empty when there is no such user. */
    public static OptionalLong uid(String user) {
        return id("-u", user);
    }

    /** The user's primary group id, or empty when there is no such user. */
    public static OptionalLong primaryGid(String user) {
        return id("-g", user);
    }

    private static OptionalLong id(String flag, String user) {
        try {
            Process p = new ProcessBuilder("id", flag, "--", user).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readNBytes(256), StandardCharsets.UTF_8).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && out.matches("\\d{1,10}")
                    ? OptionalLong.of(Long.parseLong(out)) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }
}
