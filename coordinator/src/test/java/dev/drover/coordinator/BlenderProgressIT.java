package dev.drover.coordinator;

import dev.drover.testsupport.HostPackages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Blender render through drover-run, reported by a real agent to a real coordinator: TR_PROGRESS for
 * the blade, live progress and the exit code in /api/tasks, exit codes preserved, SIGTERM handled.
 */
class BlenderProgressIT {
    private static final String TOKEN = "blender-it-token-0123456789";
    private static final String SETTINGS = "import bpy; s=bpy.context.scene; s.render.resolution_x=%d; "
            + "s.render.resolution_y=%d; s.render.resolution_percentage=100; s.cycles.samples=%d; "
            + "s.cycles.use_denoising=False; s.cycles.device='CPU'";

    @TempDir
    Path dir;

    private final List<JarProcess> processes = new ArrayList<>();
    private CoordinatorApi api;
    private Path socket;

    @BeforeEach
    void start() throws Exception {
        HostPackages.require("blender", "blender");
        RunningCoordinator c = RunningCoordinator.start(dir, "blender-coordinator", TOKEN, "",
                "liveness: {heartbeatIntervalMillis: 500, lostAfterMillis: 10000}");
        processes.add(c.process());
        int gatewayPort = c.gatewayPort();
        api = c.api();
        socket = dir.resolve("agent.sock");
        processes.add(JarProcess.start(JarProcess.AGENT_JAR, "blender-agent", List.of("--coordinator",
                "127.0.0.1:" + gatewayPort, "--coordinator-ca-file", TestTls.caFile(dir).toString(), "--node-id",
                "blender-node", "--no-imds", "--local-socket", socket.toString(), "--state-dir",
                dir.resolve("agent-state").toString()), Map.of("DROVER_ENROLMENT_TOKEN", TOKEN)));
        await().atMost(Duration.ofSeconds(20)).until(() -> api.state("blender-node").equals("READY")
                && Files.exists(socket));
    }

    @AfterEach
    void stop() throws Exception {
        for (JarProcess p : processes) {
            p.close();
        }
    }

    private Process droverRun(int tid, Path stdout, String... command) throws Exception {
        List<String> argv = new ArrayList<>(List.of(JarProcess.javaExecutable(), "-cp", JarProcess.AGENT_JAR.toString(),
                "dev.drover.agent.run.DroverRunMain", "--agent-socket", socket.toString(), "--"));
        argv.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(stdout.toFile());
        pb.environment().putAll(Map.of("TR_ENV_JID", "77", "TR_ENV_TID", String.valueOf(tid), "TR_ENV_CID", "1"));
        return pb.start();
    }

    private List<String> blender(String outPattern, int width, int height, int samples, String... frames) {
        List<String> a = new ArrayList<>(List.of("blender", "-b", "-noaudio", "--factory-startup", "-E", "CYCLES",
                "-o", outPattern, "-F", "PNG", "--python-expr", SETTINGS.formatted(width, height, samples)));
        a.addAll(List.of(frames));
        return a;
    }

    private Optional<JsonObject> task(int tid) throws Exception {
        JsonArray tasks = new JsonObject(api.get("/api/tasks").body()).getJsonArray("tasks");
        return tasks.stream().map(JsonObject.class::cast).filter(t -> t.getLong("jid") == 77 && t.getInteger("tid") == tid)
                .findFirst();
    }

    private static List<Integer> trProgress(Path stdout) throws Exception {
        List<Integer> values = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^TR_PROGRESS (\\d+)%$").matcher(Files.readString(stdout));
        while (m.find()) {
            values.add(Integer.parseInt(m.group(1)));
        }
        return values;
    }

    @Test
    void multiFrameRenderReportsRisingProgressToTractorAndTheCoordinator() throws Exception {
        Path out = dir.resolve("render.out");
        Process run = droverRun(5, out, blender(dir.resolve("frame_####").toString(), 320, 240, 96,
                "-s", "1", "-e", "4", "-a").toArray(String[]::new));

        // while it runs, the coordinator shows the task with progress
        List<Float> seen = new ArrayList<>();
        while (run.isAlive()) {
            task(5).filter(t -> "RUNNING".equals(t.getString("state")))
                    .ifPresent(t -> seen.add(t.getFloat("percent")));
            Thread.sleep(100);
        }
        assertThat(run.exitValue()).isZero();
        assertThat(seen).as("progress visible while running").isNotEmpty();
        assertThat(seen).anySatisfy(p -> assertThat(p).isGreaterThan(0f).isLessThan(100f));

        List<Integer> progress = trProgress(out);
        assertThat(progress).isSorted().doesNotHaveDuplicates().last().isEqualTo(100);
        assertThat(progress.size()).isGreaterThanOrEqualTo(3);
        for (int f = 1; f <= 4; f++) {
            assertThat(dir.resolve("frame_000" + f + ".png")).isNotEmptyFile();
        }
        assertThat(Files.readString(out)).contains("Saved: '").contains("Blender quit");

        await().atMost(Duration.ofSeconds(30)).until(() -> task(5).map(t -> "FINISHED".equals(t.getString("state")))
                .orElse(false));
        JsonObject done = task(5).orElseThrow();
        assertThat(done.getInteger("exitCode")).isZero();
        assertThat(done.getFloat("percent")).isEqualTo(100f);
        assertThat(done.getLong("runtimeMillis")).isPositive();
        assertThat(done.getLong("peakRssBytes")).isPositive();
        assertThat(done.getString("node")).isEqualTo("blender-node");
    }

    @Test
    void frameStepCountsOnlyTheFramesRenderedAndReaches100OnSuccess() throws Exception {
        Path out = dir.resolve("step.out");
        Process run = droverRun(8, out, blender(dir.resolve("step_####").toString(), 160, 120, 8,
                "-s", "1", "-e", "3", "-j", "2", "-a").toArray(String[]::new));

        assertThat(run.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).isZero();
        assertThat(dir.resolve("step_0001.png")).isNotEmptyFile();
        assertThat(dir.resolve("step_0003.png")).isNotEmptyFile();
        assertThat(dir.resolve("step_0002.png")).doesNotExist();
        assertThat(trProgress(out)).isSorted().last().isEqualTo(100);
    }

    @Test
    void animationWithTheScenesOwnRangeNeverClaims100() throws Exception {
        Path out = dir.resolve("scene-range.out");
        List<String> argv = blender(dir.resolve("scene_####").toString(), 160, 120, 8);
        argv.addAll(List.of("--python-expr", "import bpy; bpy.context.scene.frame_start=1; bpy.context.scene.frame_end=2",
                "-a"));
        Process run = droverRun(9, out, argv.toArray(String[]::new));

        assertThat(run.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).isZero();
        assertThat(dir.resolve("scene_0002.png")).as("both frames rendered").isNotEmptyFile();
        assertThat(trProgress(out)).as("frame count unknown to drover-run").allSatisfy(p -> assertThat(p).isLessThan(100));
    }

    @Test
    void failingRenderKeepsItsExitCode() throws Exception {
        Path out = dir.resolve("missing.out");
        Process run = droverRun(6, out, "blender", "-b", dir.resolve("no-such-scene.blend").toString(), "-f", "1");

        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).isEqualTo(1);
        assertThat(Files.readString(out)).contains("Cannot read file");
        await().atMost(Duration.ofSeconds(30)).until(() -> task(6).map(t -> t.getInteger("exitCode") != null)
                .orElse(false));
        assertThat(task(6).orElseThrow().getInteger("exitCode")).isEqualTo(1);
    }

    @Test
    void sigtermStopsBlenderAndExits143() throws Exception {
        Path out = dir.resolve("term.out");
        Process run = droverRun(7, out, blender(dir.resolve("long_####").toString(), 640, 480, 4096, "-f", "1")
                .toArray(String[]::new));
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(out).contains("Sample 1/4096"));
        long blenderPid = run.descendants().filter(p -> p.info().command().orElse("").contains("blender"))
                .findFirst().orElseThrow().pid();

        run.destroy(); // SIGTERM to the wrapper

        assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).isEqualTo(143);
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(blenderPid).map(h -> !h.isAlive()).orElse(true));
        assertThat(dir.resolve("long_0001.png")).doesNotExist();
        await().atMost(Duration.ofSeconds(30)).until(() -> task(7).map(t -> t.getInteger("exitCode") != null)
                .orElse(false));
        JsonObject t = task(7).orElseThrow();
        assertThat(t.getInteger("exitCode")).isEqualTo(143);
        assertThat(t.getInteger("signal")).isEqualTo(15);
    }
}
