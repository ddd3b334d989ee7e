package dev.drover.agent.runtask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.agent.config.AgentConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Built-in queue tasks run as {@code tasks.runAs}: the exact setpriv command the launcher builds, run for real. */
class TaskUserSwitchTest {
    @Test
    void theLaunchCommandRunsTheWrapperAsTheConfiguredUserWithoutCapabilities() throws Exception {
        String group = TaskLauncher.primaryGroup("nobody");
        assertThat(group).as("nobody's primary group id").matches("\\d+").isNotEqualTo("0");
        List<String> command = TaskLauncher.launchCommand(List.of("sh", "-c", "id -u; id -g; grep CapEff /proc/self/status"),
                "nobody", group, true);
        assertThat(command).startsWith("/usr/bin/setpriv", "--reuid", "nobody", "--regid", group, "--init-groups");
        assertThat(command).containsSubsequence("--pdeathsig", "TERM", "--", "sh");

        String out = run(command);
        String nobodyUid = run(List.of("id", "-u", "nobody")).strip();
        String[] lines = out.strip().split("\n");
        assertThat(lines[0]).as("uid of the task").isEqualTo(nobodyUid).isNotEqualTo("0");
        assertThat(lines[1]).as("gid of the task").isEqualTo(group);
        assertThat(lines[2]).as("effective capabilities").endsWith("0000000000000000");
    }

    @Test
    void withoutRunAsOnlyTheParentDeathSignalIsAdded() {
        assertThat(TaskLauncher.launchCommand(List.of("drover-run"), "", "", true))
                .containsExactly("/usr/bin/setpriv", "--pdeathsig", "TERM", "--", "drover-run");
        assertThat(TaskLauncher.launchCommand(List.of("drover-run"), "", "", false)).containsExactly("drover-run");
        // a user switch that cannot be made refuses tasks rather than running them with the agent's privileges
        assertThat(TaskLauncher.launchCommand(List.of("drover-run"), "render", "1000", false)).isEmpty();
        assertThat(TaskLauncher.primaryGroup("no-such-user-here")).isEmpty();
        assertThat(TaskLauncher.launchCommand(List.of("drover-run"), "no-such-user-here", "", true)).isEmpty();
    }

    @Test
    void runAsMustNameAnUnprivilegedUser() {
        assertThat(new AgentConfig.Tasks(null).runAs()).isEmpty();
        assertThat(new AgentConfig.Tasks("render").runAs()).isEqualTo("render");
        assertThatThrownBy(() -> new AgentConfig.Tasks("root")).hasMessageContaining("tasks.runAs")
                .hasMessageContaining("unprivileged");
        assertThatThrownBy(() -> new AgentConfig.Tasks("render; rm -rf /")).hasMessageContaining("tasks.runAs");
    }

    private static String run(List<String> argv) throws Exception {
        Path out = Files.createTempFile("task-user", ".out");
        try {
            Process p = new ProcessBuilder(new ArrayList<>(argv)).redirectErrorStream(true).redirectOutput(out.toFile())
                    .start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String text = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("exit of %s: %s", argv, text).isZero();
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
