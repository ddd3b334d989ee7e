package dev.drover.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorConfigFileTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Path f = dir.resolve("coordinator.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void exampleFileLoadsAndStatesTheDefaults() {
        CoordinatorConfig example = CoordinatorConfigFile.load(Path.of("coordinator.example.yaml"));
        CoordinatorConfig defaults = new CoordinatorConfig(null, null, null, example.enrolment(), null, null, null, null,
                null, null, null);

        assertThat(example).isEqualTo(defaults);
    }

    @Test
    void unknownFieldIsNamedWithTheFile() throws Exception {
        Path f = write("gateway:\n  prot: 7700\nenrolment:\n  tokens: [aaaaaaaaaaaaaaaaaaaa]\n");

        assertThatThrownBy(() -> CoordinatorConfigFile.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(f + ": unknown field 'gateway.prot'");
    }

    @Test
    void invalidValueNamesTheField() throws Exception {
        Path f = write("gateway:\n  port: 70000\nenrolment:\n  tokens: [aaaaaaaaaaaaaaaaaaaa]\n");

        assertThatThrownBy(() -> CoordinatorConfigFile.load(f))
                .hasMessage(f + ": gateway.port must be 0..65535 (0 = any free port), got 70000");
    }

    @Test
    void wrongTypeNamesTheField() throws Exception {
        Path f = write("liveness:\n  lostAfterMillis: soon\nenrolment:\n  tokens: [aaaaaaaaaaaaaaaaaaaa]\n");

        assertThatThrownBy(() -> CoordinatorConfigFile.load(f)).hasMessageContaining("liveness.lostAfterMillis");
    }

    @Test
    void enrolmentIsRequired() throws Exception {
        Path f = write("http:\n  port: 8080\n");

        assertThatThrownBy(() -> CoordinatorConfigFile.load(f)).hasMessageContaining("enrolment: required");
    }

    @Test
    void shortTokensAreRefusedAndNeverEchoed() throws Exception {
        Path f = write("enrolment:\n  tokens: [hunter2]\n");

        assertThatThrownBy(() -> CoordinatorConfigFile.load(f))
                .hasMessageContaining("at least 16 characters")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }

    @Test
    void poolsAreValidatedByName() throws Exception {
        Path f = write("""
                enrolment: {tokens: [aaaaaaaaaaaaaaaaaaaa]}
                pools:
                  - {name: spot, serviceKeys: [blender], fallbackPool: regular}
                """);
        assertThatThrownBy(() -> CoordinatorConfigFile.load(f))
                .hasMessage(f + ": pools[spot].fallbackPool: no pool named regular");

        Path g = write("enrolment: {tokens: [aaaaaaaaaaaaaaaaaaaa]}\npools:\n  - {name: spot, priority: cheap, serviceKeys: [x]}\n");
        assertThatThrownBy(() -> CoordinatorConfigFile.load(g)).hasMessageContaining("pools[spot].priority");

        Path ok = write("enrolment: {tokens: [aaaaaaaaaaaaaaaaaaaa]}\npools:\n  - {name: spot, serviceKeys: [Blender]}\n");
        assertThat(CoordinatorConfigFile.load(ok).pools().get(0).spec().serves("BLENDER")).isTrue();
    }

    @Test
    void malformedYamlIsReported() throws Exception {
        Path f = write("gateway: [unclosed\n");

        assertThatThrownBy(() -> CoordinatorConfigFile.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(f.toString());
    }
}
