package dev.drover.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentMainTest {
    @TempDir
    Path dir;

    @Test
    void versionNamesTheAgentAndProtocol() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new AgentMain()).setOut(new PrintWriter(out));

        assertThat(cli.execute("--version")).isZero();
        assertThat(out.toString()).contains("drover-agent").contains("protocol versions 1..1");
    }

    @Test
    void configErrorExitsWithTwoBeforeStartingAnything() throws Exception {
        Path config = dir.resolve("agent.yaml");
        Files.writeString(config, "node:\n  slots: 0\n");

        int code = new CommandLine(new AgentMain()).execute("--config", config.toString());

        assertThat(code).isEqualTo(2);
    }

    @Test
    void enrolmentTokenNoHelloCouldCarryExitsWithTwo() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "t".repeat(257)); // a Hello's token is a short string: at most 256 bytes

        // bounded: an agent that let the token through would start and never return
        int code = java.util.concurrent.CompletableFuture.supplyAsync(() -> new CommandLine(new AgentMain()).execute(
                "--enrolment-token-file", token.toString(), "--coordinator", "127.0.0.1:1", "--insecure-plaintext",
                "--no-imds", "--node-id", "n1", "--local-socket", "")).get(60, java.util.concurrent.TimeUnit.SECONDS);

        assertThat(code).isEqualTo(2);
    }

    @Test
    void noPinnedCoordinatorCaExitsWithTwo() {
        assertThat(new CommandLine(new AgentMain()).execute("--coordinator", "127.0.0.1:1", "--no-imds", "--node-id",
                "n1", "--local-socket", "")).isEqualTo(2);
    }

    @Test
    void malformedCoordinatorAddressExitsWithTwo() {
        assertThat(new CommandLine(new AgentMain()).execute("--coordinator", "no-port-here")).isEqualTo(2);
        assertThat(new CommandLine(new AgentMain()).execute("--coordinator", "host:http")).isEqualTo(2);
    }
}
