package dev.drover.coordinator;

import dev.drover.testsupport.HostPackages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium driven by playwright-core for the dashboard tests: Debian's chromium (installed by the
 * test when root) and playwright-core from npm, installed into the project's own .cache folder.
 */
public final class Browser {
    static final String PLAYWRIGHT_VERSION = "1.64.1";
    private static final Path HOME = Path.of("..", ".cache", "playwright").toAbsolutePath().normalize();
    public static final Path ARTIFACTS = Path.of("target", "it-artifacts").toAbsolutePath();

    private Browser() {
    }

    public static synchronized void install() throws Exception {
        HostPackages.require("chromium", "chromium");
        Path marker = HOME.resolve("node_modules/playwright-core/package.json");
        if (Files.isRegularFile(marker) && Files.readString(marker).contains("\"version\": \"" + PLAYWRIGHT_VERSION + "\"")) {
            return;
        }
        Files.createDirectories(HOME);
        if (!Files.exists(HOME.resolve("package.json"))) {
            Files.writeString(HOME.resolve("package.json"), "{\"private\": true}\n");
        }
        Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--silent",
                "playwright-core@" + PLAYWRIGHT_VERSION).directory(HOME.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(HOME.resolve("npm-install.log").toFile())).start();
        if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0 || !Files.isRegularFile(marker)) {
            throw new IllegalStateException("npm install playwright-core@" + PLAYWRIGHT_VERSION + " into " + HOME
                    + " failed; see npm-install.log there");
        }
    }

    /** The outcome of one script run: its exit code and everything it printed. */
    public record Run(int exitCode, String output) {
    }

    /** Runs a script from src/test/resources/browser with the given environment. */
    public static Run run(String script, Map<String, String> env, long timeoutSeconds) throws IOException, InterruptedException {
        Files.createDirectories(ARTIFACTS);
        Path out = ARTIFACTS.resolve(script + ".out");
        Path file = Path.of("src", "test", "resources", "browser", script).toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(List.of("node", file.toString())).redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().putAll(env);
        pb.environment().put("NODE_PATH", HOME.resolve("node_modules").toString());
        pb.environment().put("CHROMIUM", "/usr/bin/chromium");
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return new Run(-1, Files.readString(out) + "\n(timed out after " + timeoutSeconds + " s)");
        }
        return new Run(p.exitValue(), Files.readString(out));
    }
}
