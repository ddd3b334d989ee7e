package dev.drover.agent.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * drover-run with real process trees: whatever happens to drover-run, no part of the render it started is
 * left running (checked in /proc), signals are never lost, and the render's stdin is never a JVM file.
 */
class DroverRunProcessIT {
    /** A render stand-in that ignores TERM and has a grandchild that ignores it too. */
    private static final String STUBBORN = "trap '' TERM; sh -c 'trap \"\" TERM; while :; do sleep 1; done' & "
            + "echo ready $$; while :; do sleep 1; done";

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();
    private final List<Long> groups = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (Process p : started) {
            p.destroyForcibly();
        }
        for (long pgid : groups) {
            for (long pid : liveMembers(pgid)) {
                new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();
            }
        }
    }

    @Test
    void sigkillOfDroverRunLeavesNoPartOfTheRenderRunning() throws Exception {
        Process run = droverRun(List.of(), "sh", "-c", STUBBORN);
        long pgid = awaitReady(run);
        await().atMost(Duration.ofSeconds(60)).until(() -> liveMembers(pgid).size() >= 2);

        run.destroyForcibly(); // SIGKILL, as a blade escalating to KILL or the OOM killer would
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(liveMembers(pgid)).isEmpty());
    }

    @Test
    void aLeaderThatExitsOnTermTakesAGroupMemberThatIgnoresTermWithIt() throws Exception {
        Process run = droverRun(List.of(), "sh", "-c",
                "sh -c 'trap \"\" TERM; while :; do sleep 1; done' & echo ready $$; sleep 600");
        long pgid = awaitReady(run);
        await().atMost(Duration.ofSeconds(60)).until(() -> liveMembers(pgid).size() >= 2);

        signal("TERM", run.pid());

        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).isEqualTo(128 + 15);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(liveMembers(pgid)).isEmpty());
    }

    @Test
    void termInTheFirstInstantsStopsTheRenderOrPreventsIt() throws Exception {
        for (int delay = 0; delay <= 1400; delay += 100) {
            Path marker = dir.resolve("started-" + delay);
            Process run = droverRun(List.of(), "sh", "-c", "echo $$ > " + marker + "; exec sleep 600");
            Thread.sleep(delay);

            signal("TERM", run.pid());

            assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("drover-run exits after TERM at %d ms", delay).isTrue();
            assertThat(run.exitValue()).as("after TERM at %d ms", delay).isEqualTo(128 + 15);
            int at = delay;
            if (Files.exists(marker)) {
                long pid = awaitPid(marker);
                groups.add(pid);
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(liveMembers(pid)).as("render started before TERM at %d ms", at).isEmpty());
            }
        }
        // and the render was never started after drover-run had been told to stop
        Thread.sleep(500);
        try (var files = Files.list(dir)) {
            for (Path marker : files.toList()) {
                long pid = awaitPid(marker);
                assertThat(liveMembers(pid)).as(marker.toString()).isEmpty();
            }
        }
    }

    @Test
    void aClosedStdinBecomesDevNullForTheRenderNeverAJvmFile() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" <&-", "sh", java, "-cp",
                System.getProperty("java.class.path"), DroverRunMain.class.getName(), "--",
                "sh", "-c", "readlink /proc/$$/fd/0; cat | wc -c"));
        Process direct = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(direct);
        String out = new String(direct.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(direct.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out.lines().toList()).containsExactly("/dev/null", "0");

        // through the launcher script that TDs use
        Path jar = Path.of("target", "drover-agent.jar").toAbsolutePath();
        assertThat(jar).exists();
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "exec \"$@\" <&-", "sh", "sh",
                Path.of("src", "main", "dist", "drover-run").toAbsolutePath().toString(), "--",
                "sh", "-c", "readlink /proc/$$/fd/0").redirectErrorStream(true);
        pb.environment().put("DROVER_JAVA", java);
        pb.environment().put("DROVER_AGENT_JAR", jar.toString());
        Process launcher = pb.start();
        started.add(launcher);
        String out2 = new String(launcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(launcher.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out2.trim()).as("launcher with %s", jar).isEqualTo("/dev/null");
    }

    @Test
    void anOpenStdinIsPassedThrough() throws Exception {
        Process run = droverRun(List.of(), "cat");
        run.getOutputStream().write("frame list\n".getBytes(StandardCharsets.UTF_8));
        run.getOutputStream().close();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("frame list\n");
        assertThat(run.exitValue()).isZero();
    }

    private Process droverRun(List<String> options, String... command) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), DroverRunMain.class.getName()));
        cmd.addAll(options);
        cmd.add("--");
        cmd.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().keySet().removeIf(k -> k.startsWith("TR_ENV_"));
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /** Reads "ready PID" from the render's output; its pid is its process group id. */
    private long awaitReady(Process run) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("ready ")) {
                long pgid = Long.parseLong(line.substring(6).trim());
                groups.add(pgid);
                return pgid;
            }
        }
        throw new AssertionError("the render never said it was ready");
    }

    private static long awaitPid(Path marker) {
        await().atMost(Duration.ofSeconds(60)).until(() -> !Files.readString(marker).isBlank());
        try {
            return Long.parseLong(Files.readString(marker).trim());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void signal(String name, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start().waitFor()).isZero();
    }

    /** Processes in a process group that are still running (zombies excluded), read from /proc. */
    static List<Long> liveMembers(long pgid) {
        List<Long> members = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (Long.parseLong(f[2]) == pgid && !f[0].equals("Z")) {
                        members.add(Long.parseLong(name));
                    }
                } catch (IOException | RuntimeException e) {
                    // gone while we looked
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return members;
    }
}
