package dev.drover.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigFileTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Path f = dir.resolve("agent.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void exampleFileStatesExactlyTheDefaults() {
        assertThat(AgentConfigFile.load(Path.of("agent.example.yaml"))).isEqualTo(AgentConfig.defaults());
    }

    @Test
    void pinnedFingerprintIsReadInAnyUsualSpellingAndBadOnesNameTheField() throws Exception {
        String hex = "5C:10:AF:69:14:71:4F:1E:49:04:F5:8C:B6:1A:D3:3D:76:E0:9F:C7:6D:CB:27:2D:13:34:A1:C4:5C:D7:68:59";
        AgentConfig c = AgentConfigFile.load(write("coordinator:\n  tls:\n    caSha256: \"" + hex + "\"\n"));
        assertThat(c.coordinator().tls().caSha256()).isEqualTo(hex.replace(":", "").toLowerCase());
        assertThat(c.coordinator().tls().pinned()).isTrue();

        Path shortPin = write("coordinator:\n  tls:\n    caSha256: abc\n");
        assertThatThrownBy(() -> AgentConfigFile.load(shortPin)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("coordinator.tls.caSha256");
        Path twoPins = write("coordinator:\n  tls:\n    caFile: /x.pem\n    caSha256File: /y\n");
        assertThatThrownBy(() -> AgentConfigFile.load(twoPins)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("coordinator.tls");
        Path pinAndPlain = write("coordinator:\n  tls:\n    caFile: /x.pem\n    insecurePlaintext: true\n");
        assertThatThrownBy(() -> AgentConfigFile.load(pinAndPlain)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("insecurePlaintext");
    }

    @Test
    void helperIsOffByDefaultAndItsKeysAreCheckedNamingFieldAndFile() throws Exception {
        assertThat(AgentConfig.defaults().helper().enabled()).isFalse();
        assertThat(AgentConfig.defaults().helper().agentUser()).isEqualTo("drover");
        AgentConfig c = AgentConfigFile.load(write("helper:\n  socket: /run/drover-helper/helper.sock\n"));
        assertThat(c.helper().socket()).isEqualTo(AgentConfig.Helper.SHIPPED_SOCKET);
        assertThat(c.helper().enabled()).isTrue();

        Path relative = write("helper:\n  socket: helper.sock\n");
        assertThatThrownBy(() -> AgentConfigFile.load(relative)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(relative + ": helper.socket must be an absolute file path");
        Path rootAgent = write("helper:\n  socket: /run/h.sock\n  agentUser: root\n");
        assertThatThrownBy(() -> AgentConfigFile.load(rootAgent)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("helper.agentUser must be an unprivileged user");
        Path sameName = write("mounts:\n  - {name: a, export: /x, mountPoint: /m1, backend: bind}\n"
                + "  - {name: a, export: /y, mountPoint: /m2, backend: bind}\n");
        assertThatThrownBy(() -> AgentConfigFile.load(sameName)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("mounts: two mounts share a name");
    }

    @Test
    void emptyFileMeansDefaults() throws Exception {
        assertThat(AgentConfigFile.load(write(""))).isEqualTo(AgentConfig.defaults());
    }

    @Test
    void unknownFieldIsNamedWithTheFile() throws Exception {
        Path f = write("node:\n  slot: 4\n");

        assertThatThrownBy(() -> AgentConfigFile.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(f + ": unknown field 'node.slot'");
    }

    @Test
    void nodeIdAndPoolThatNoHelloCouldCarryAreRefusedNamingTheField() throws Exception {
        assertThatThrownBy(() -> new AgentConfig.Node("render-\uD800", "p", 1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node.id: unpaired UTF-16 surrogate U+D800");
        assertThatThrownBy(() -> new AgentConfig.Node("render-1", "p\uDC00", 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node.pool: unpaired");
        Path f = write("node:\n  pool: " + "\u00e9".repeat(200) + "\n"); // 200 characters, 400 UTF-8 bytes

        assertThatThrownBy(() -> AgentConfigFile.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("node.pool: string length 400 bytes (UTF-8) exceeds limit 256");
    }

    @Test
    void outOfRangeValueNamesTheField() throws Exception {
        Path f = write("heartbeat:\n  intervalMillis: 5\n");

        assertThatThrownBy(() -> AgentConfigFile.load(f))
                .hasMessage(f + ": heartbeat.intervalMillis must be 100..3600000, got 5");
    }

    @Test
    void terminateMarginOutOfRangeNamesTheField() throws Exception {
        Path f = write("imds:\n  terminateMarginSeconds: -1\n");

        assertThatThrownBy(() -> AgentConfigFile.load(f))
                .hasMessage(f + ": imds.terminateMarginSeconds must be 0..3600, got -1");
        assertThat(AgentConfigFile.load(write("imds:\n  terminateMarginSeconds: 90\n")).imds()
                .terminateMarginSeconds()).isEqualTo(90);
    }

    @Test
    void tokenAndTokenFileAreExclusiveAndTheTokenIsNeverPrinted() throws Exception {
        Path f = write("coordinator:\n  enrolmentToken: s3cr3t-value\n  enrolmentTokenFile: /etc/x\n");

        assertThatThrownBy(() -> AgentConfigFile.load(f)).hasMessageContaining("exclusive")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t-value"));
        AgentConfig.Coordinator c = new AgentConfig.Coordinator("h", 1, "s3cr3t-value", null);
        assertThat(c.toString()).doesNotContain("s3cr3t-value");
    }

    @Test
    void missingFileIsReported() {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> AgentConfigFile.load(missing)).hasMessageStartingWith(missing + ": cannot read");
    }

    @Test
    void secretFileIsTrimmedAndEmptyOneRefused() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "  abc\n");
        assertThat(AgentConfigFile.readSecret(token.toString(), "f")).isEqualTo("abc");
        Files.writeString(token, "\n");
        assertThatThrownBy(() -> AgentConfigFile.readSecret(token.toString(), "coordinator.enrolmentTokenFile"))
                .hasMessageContaining("coordinator.enrolmentTokenFile").hasMessageContaining("empty");
    }
}
