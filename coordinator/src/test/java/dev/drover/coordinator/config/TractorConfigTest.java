package dev.drover.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The engine address from {@code TRACTOR_ENGINE} (host:port, as Pixar's tools read it) and the config's own. */
class TractorConfigTest {

    @Test
    void tractorEngineGivesHostAndPort() {
        assertThat(CoordinatorConfig.Tractor.engineFromEnvironment("tractor.studio.example:8080"))
                .containsExactly("tractor.studio.example", "8080");
        assertThat(CoordinatorConfig.Tractor.engineFromEnvironment("engine01")).containsExactly("engine01", null);
        assertThat(CoordinatorConfig.Tractor.engineFromEnvironment("[fd00::10]:80")).containsExactly("fd00::10", "80");
        assertThat(CoordinatorConfig.Tractor.engineFromEnvironment(" ")).containsExactly(null, null);
        assertThat(CoordinatorConfig.Tractor.engineFromEnvironment(null)).containsExactly(null, null);
    }

    @Test
    void aBadPortNamesTheVariable() {
        assertThatThrownBy(() -> CoordinatorConfig.Tractor.engineFromEnvironment("engine:http"))
                .hasMessageContaining("TRACTOR_ENGINE");
    }

    @Test
    void configuredValuesWinAndTheDefaultsAreTractors() {
        CoordinatorConfig.Tractor t = new CoordinatorConfig.Tractor("head", 9005, null, null, null);
        assertThat(t.host()).isEqualTo("head");
        assertThat(t.port()).isEqualTo(9005);
        assertThat(t.bladeListSeconds()).isEqualTo(10);
        assertThat(t.passwordFile()).isNull();
    }
}
