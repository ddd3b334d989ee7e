package dev.drover.agent.mounts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs mount/umount with a timeout, capturing what they print, so a hung mount helper cannot hang the agent. */
public final class CommandRunner {
    public record Outcome(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    public Outcome run(List<String> argv, long timeoutMillis) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Outcome(-1, String.join(" ", argv) + ": no result within " + timeoutMillis + " ms");
            }
            String out = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).trim();
            return new Outcome(p.exitValue(), out);
        } catch (IOException e) {
            return new Outcome(-1, argv.get(0) + ": " + e.getMessage());
        }
    }
}
