package dev.drover.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What root's setpriv sees of a task's environment, and what the render gets back from drover-run. */
class LoaderVariablesTest {
    @Test
    void loaderVariablesAreShelteredFromRootAndRestoredForTheRender() {
        Map<String, String> task = Map.of("PATH", "/usr/bin", "LD_PRELOAD", "/tmp/x.so", "LD_LIBRARY_PATH", "/opt/rman",
                "GCONV_PATH", "/tmp/g", "TR_ENV_JID", "5");

        Map<String, String> forSetpriv = LoaderVariables.shelter(task);

        assertThat(forSetpriv).doesNotContainKeys("LD_PRELOAD", "LD_LIBRARY_PATH", "GCONV_PATH")
                .containsEntry("DROVER_SHELTERED_LD_PRELOAD", "/tmp/x.so").containsEntry("PATH", "/usr/bin")
                .containsEntry("TR_ENV_JID", "5");
        Map<String, String> forRender = new HashMap<>(forSetpriv);
        LoaderVariables.restore(forRender);
        assertThat(forRender).isEqualTo(task);
    }

    @Test
    void aShelteredNameFromTheAgentIsDroppedNotPassedOn() {
        assertThat(LoaderVariables.shelter(Map.of("DROVER_SHELTERED_LD_PRELOAD", "/tmp/x.so", "A", "b")))
                .containsOnlyKeys("A");
    }
}
