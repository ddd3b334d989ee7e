package dev.drover.agent.imds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent still waiting for IMDS to answer (as after boot) stops cleanly on SIGTERM: status 0, not 143. */
class AgentWaitingForImdsIT {
    @TempDir
    Path dir;

    @Test
    void sigtermWhileWaitingForImdsExitsZero() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort(); // closed again: nothing answers there
        }
        Path log = dir.resolve("agent.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", Path.of("target", "drover-agent.jar").toAbsolutePath()
                .toString(), "--coordinator", "127.0.0.1:1", "--imds-url", "http://127.0.0.1:" + deadPort,
                "--local-socket", dir.resolve("agent.sock").toString(), "--state-dir", dir.resolve("state").toString(),
                // a pin (agents refuse to start without one); nothing listens there, this test is about IMDS
                "--coordinator-ca-sha256", "abababababababababababababababababababababababababababababababab")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DROVER_ENROLMENT_TOKEN", "imds-wait-token-0123456789");
        Process agent = pb.start();
        try {
            await().atMost(Duration.ofSeconds(90)).until(() -> Files.readString(log)
                    .contains("IMDS instance metadata not available"));

            assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(agent.pid())).start().waitFor()).isZero();

            assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(agent.exitValue()).as(String.join("\n", List.of(Files.readString(log)))).isZero();
        } finally {
            agent.destroyForcibly();
        }
    }
}
