package dev.drover.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What root's setpriv sees of a task's environment, and what the render gets back from drover-run. */
class ShelteredEnvironmentTest {
    private static final Map<String, String> TASK = Map.of("PATH", "/opt/rman/bin:/usr/bin", "LD_PRELOAD",
            "/tmp/x.so", "LD_LIBRARY_PATH", "/opt/rman", "LANG", "/tmp/evil-locale", "GCONV_PATH", "/tmp/g",
            "TR_ENV_JID", "5");

    @Test
    void rootSeesOnlyAFixedEnvironmentAndTheRenderGetsExactlyTheTasks() {
        Map<String, String> forSetpriv = ShelteredEnvironment.shelter(TASK, "/shows/a/shot");

        assertThat(forSetpriv).doesNotContainKeys("LD_PRELOAD", "LD_LIBRARY_PATH", "GCONV_PATH", "TR_ENV_JID")
                .containsEntry("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").containsEntry("LANG", "C.UTF-8")
                .containsEntry("DROVER_SHELTERED_LD_PRELOAD", "/tmp/x.so")
                .containsEntry("DROVER_SHELTERED_LANG", "/tmp/evil-locale");
        assertThat(ShelteredEnvironment.getenv(forSetpriv, "TR_ENV_JID")).isEqualTo("5");
        assertThat(ShelteredEnvironment.getenv(forSetpriv, "LANG")).isEqualTo("/tmp/evil-locale");
        assertThat(ShelteredEnvironment.workingDir(forSetpriv)).contains("/shows/a/shot");

        Map<String, String> forRender = new HashMap<>(forSetpriv);
        ShelteredEnvironment.restore(forRender);
        assertThat(forRender).isEqualTo(TASK);
    }

    @Test
    void aTaskWithoutVariablesOrDirectoryGetsNoneOfRootsFixedOnes() {
        Map<String, String> forRender = new HashMap<>(ShelteredEnvironment.shelter(Map.of(), ""));
        assertThat(ShelteredEnvironment.workingDir(forRender)).isEmpty();
        ShelteredEnvironment.restore(forRender);
        assertThat(forRender).isEmpty();
    }

    @Test
    void anEnvironmentTheHelperDidNotShelterIsTheTasksOwn() {
        Map<String, String> blade = new HashMap<>(Map.of("PATH", "/usr/bin", "TR_ENV_JID", "9",
                "DROVER_TASK_WORKING_DIR", "/root"));
        assertThat(ShelteredEnvironment.getenv(blade, "TR_ENV_JID")).isEqualTo("9");
        assertThat(ShelteredEnvironment.workingDir(blade)).as("only the helper names a directory").isEmpty();
        Map<String, String> before = Map.copyOf(blade);
        ShelteredEnvironment.restore(blade);
        assertThat(blade).isEqualTo(before);
    }

    @Test
    void namesLikeDroversOwnCannotStandInForThemAndRoundTrip() {
        Map<String, String> forSetpriv = ShelteredEnvironment.shelter(Map.of("DROVER_SHELTERED_LD_PRELOAD",
                "/tmp/x.so", "DROVER_SHELTERED", "1", "DROVER_TASK_WORKING_DIR", "/root", "A", "b"), "");
        assertThat(forSetpriv).doesNotContainKeys("DROVER_SHELTERED_LD_PRELOAD", "DROVER_TASK_WORKING_DIR",
                "DROVER_SHELTERED_DROVER_SHELTERED").containsEntry("DROVER_SHELTERED_A", "b")
                .containsEntry("DROVER_SHELTERED_DROVER_SHELTERED_LD_PRELOAD", "/tmp/x.so")
                .containsEntry("DROVER_SHELTERED_DROVER_TASK_WORKING_DIR", "/root");
        Map<String, String> forRender = new HashMap<>(forSetpriv);
        ShelteredEnvironment.restore(forRender);
        assertThat(forRender).as("all but the marker, under their own names").isEqualTo(Map.of("A", "b",
                "DROVER_TASK_WORKING_DIR", "/root", "DROVER_SHELTERED_LD_PRELOAD", "/tmp/x.so"));
        assertThat(ShelteredEnvironment.workingDir(forSetpriv)).as("the agent's variable names no directory").isEmpty();
    }
}
