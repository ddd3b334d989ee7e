package dev.drover.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure a Debian package a test needs is installed, installing it when running as root (as CI does).
 * A test that cannot get its tool fails with a clear message; it is never silently skipped.
 */
public final class HostPackages {
    /** Another apt (unattended upgrades, a second test JVM) may hold the dpkg lock: wait for it, don't fail. */
    private static final String LOCK_WAIT = "DPkg::Lock::Timeout=900";
    private static final int ATTEMPTS = 4;
    private static boolean updated;

    private HostPackages() {
    }

    public static synchronized void require(String executable, String... packages) throws Exception {
        if (onPath(executable)) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException(executable + " is missing and this test is not running as root; install "
                    + String.join(" ", packages) + " (apt-get install -y " + String.join(" ", packages) + ")");
        }
        if (!updated) {
            run(List.of("apt-get", "-o", LOCK_WAIT, "update", "-q"));
            updated = true;
        }
        List<String> install = new ArrayList<>(List.of("apt-get", "-o", LOCK_WAIT, "install", "-y", "-q",
                "--no-install-recommends"));
        install.addAll(List.of(packages));
        run(install);
        if (!onPath(executable)) {
            throw new IllegalStateException("installed " + String.join(" ", packages) + " but " + executable
                    + " is still not on PATH");
        }
    }

    public static boolean onPath(String executable) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin:/usr/sbin:/sbin").split(":")) {
            if (Files.isExecutable(Path.of(dir, executable))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", executable)) || Files.isExecutable(Path.of("/usr/bin", executable));
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        // Not inheritIO: the test JVM's stdout is surefire's channel, which foreign output corrupts.
        Path log = Path.of("target", "host-packages.log").toAbsolutePath();
        Files.createDirectories(log.getParent());
        for (int attempt = 1; ; attempt++) {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            if (!p.waitFor(20, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 20 min; see " + log);
            }
            if (p.exitValue() == 0) {
                return;
            }
            // apt-get update's list lock is not covered by DPkg::Lock::Timeout on every apt: retry a few times.
            if (attempt == ATTEMPTS) {
                throw new IllegalStateException(String.join(" ", command) + " failed " + ATTEMPTS + " times; see " + log);
            }
            Thread.sleep(15_000L * attempt);
        }
    }
}
