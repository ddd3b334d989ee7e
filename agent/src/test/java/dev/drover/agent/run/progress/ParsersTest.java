package dev.drover.agent.run.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each parser on real captured output (Blender 3.4 and POV-Ray 3.7 here; others from their documented formats). */
class ParsersTest {

    private static List<String> lines(String resource) throws IOException {
        try (InputStream in = ParsersTest.class.getResourceAsStream("/renderer-output/" + resource)) {
            return List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("[\r\n]"));
        }
    }

    private static List<Progress> feed(ProgressParser p, List<String> lines) {
        List<Progress> out = new ArrayList<>();
        for (String line : lines) {
            p.accept(line).ifPresent(out::add);
        }
        return out;
    }

    @Test
    void blenderTwoFrameAnimationCoversBothFramesAndRisesTo100() throws IOException {
        List<String> argv = List.of("blender", "-b", "-E", "CYCLES", "-s", "1", "-e", "2", "-a");
        List<Progress> ps = feed(Parsers.choose("auto", argv), lines("blender-2frames.txt"));

        assertThat(ps).isNotEmpty();
        assertThat(ps).extracting(Progress::percent).isSorted();
        assertThat(ps.get(ps.size() - 1).percent()).isEqualTo(100f);
        // halfway: frame 1 saved, frame 2 not started
        assertThat(ps).anySatisfy(p -> assertThat(p.percent()).isEqualTo(50f));
        assertThat(ps).extracting(Progress::frame).contains(1, 2);
        assertThat(ps).allSatisfy(p -> assertThat(p.percent()).isLessThanOrEqualTo(100f));
    }

    @Test
    void blenderFrameCountFromTheCommandLine() {
        assertThat(BlenderParser.frameCount(List.of("blender", "-b", "x.blend", "-s", "1001", "-e", "1010", "-a")))
                .isEqualTo(10);
        assertThat(BlenderParser.frameCount(List.of("blender", "-b", "x.blend", "-f", "7"))).isEqualTo(1);
        assertThat(BlenderParser.frameCount(List.of("blender", "-f", "1,3,5..7"))).isEqualTo(5);
        assertThat(BlenderParser.frameCount(List.of("blender", "-s", "x", "-a"))).as("range unknown").isZero();
    }

    @Test
    void blenderSampleCountGoingBackwardsWithinAFrameIsIgnored() {
        BlenderParser p = new BlenderParser(1);
        p.accept("Fra:3 Mem:1M | Time:00:00.01 | Scene, ViewLayer | Sample 80/128");
        Optional<Progress> back = p.accept("Fra:3 Mem:1M | Time:00:00.02 | Scene, ViewLayer | Sample 1/128");
        assertThat(back.orElseThrow().percent()).isEqualTo(62.5f);
        assertThat(p.accept("Fra:3 | Sample 900/128").orElseThrow().percent()).isEqualTo(62.5f);
        assertThat(p.accept("Fra:x garbage | Sample a/b")).isEmpty();
        assertThat(p.accept("Fra:3 Mem:1M | Time:00:00.94 | Remaining:00:01.72 | Sample 90/128").orElseThrow()
                .etaSeconds()).isEqualTo(1);
    }

    @Test
    void povRayCarriageReturnSeparatedProgress() throws IOException {
        List<Progress> ps = feed(Parsers.choose("auto", List.of("povray", "+Iscene.pov")), lines("povray.txt"));

        assertThat(ps).extracting(Progress::percent).containsSubsequence(33.333332f, 50f, 100f);
        assertThat(ps).extracting(Progress::percent).isSorted();
    }

    @Test
    void directivesAndTheirLimits() {
        Directives d = new Directives();
        assertThat(d.accept("TR_PROGRESS 42%").orElseThrow().percent()).isEqualTo(42f);
        assertThat(d.accept("ALF_PROGRESS 7").orElseThrow().percent()).isEqualTo(7f);
        assertThat(d.accept("R90000  99%").orElseThrow().percent()).isEqualTo(99f);
        assertThat(d.accept("[3] R90000  15%").orElseThrow().percent()).isEqualTo(15f);
        assertThat(d.accept("TR_PROGRESS 150%")).isEmpty();
        assertThat(d.accept("  TR_PROGRESS 5%")).as("must start the line").isEmpty();
        assertThat(Directives.isDirective("ALF_PROGRESS 10%")).isTrue();
        assertThat(Directives.isDirective("progress 10%")).isFalse();
    }

    @Test
    void arnoldKickLogLines() {
        ProgressParser p = Parsers.choose("auto", List.of("/opt/arnold/bin/kick", "-i", "shot.ass"));
        assertThat(p.name()).isEqualTo("arnold");
        assertThat(p.accept("00:00:01   712MB         |     0% done - 12 rays/pixel").orElseThrow().percent()).isZero();
        assertThat(p.accept("00:00:05  1432MB         |    45% done - 107 rays/pixel").orElseThrow().percent())
                .isEqualTo(45f);
        assertThat(p.accept("00:00:06  1432MB         |    40% done - 107 rays/pixel").orElseThrow().percent())
                .as("never backwards").isEqualTo(45f);
        assertThat(p.accept("00:00:06  1432MB         |   400% done")).isEmpty();
    }

    @Test
    void vrayStandaloneProgressWithEstimate() {
        ProgressParser p = Parsers.choose("vray", List.of("vray", "-sceneFile=x.vrscene"));
        Progress pr = p.accept("[2024/Mar/1|12:00:03] Rendering image...:  45.50% [ 0h  0m  2.3s] [ 0h  1m  3.1s est]")
                .orElseThrow();
        assertThat(pr.percent()).isEqualTo(45.5f);
        assertThat(pr.etaSeconds()).isEqualTo(63);
    }

    @Test
    void sniffingPicksTheFirstParserThatRecognisesALine() {
        ProgressParser p = Parsers.choose("auto", List.of("/bin/sh", "-c", "render.sh"));
        assertThat(p.accept("hello")).isEmpty();
        assertThat(p.accept("ALF_PROGRESS 12%").orElseThrow().percent()).isEqualTo(12f);
        assertThat(p.name()).isEqualTo("directives");
    }

    @Test
    void blenderFrameStepCountsOnlyTheFramesRenderedAndReaches100OnTheLast() throws IOException {
        List<String> argv = List.of("blender", "-b", "x.blend", "-s", "1", "-e", "3", "-j", "2", "-a");
        assertThat(BlenderParser.frameCount(argv)).isEqualTo(2); // frames 1 and 3

        List<Progress> ps = feed(Parsers.choose("auto", argv), lines("blender-2frames.txt"));

        assertThat(ps.get(ps.size() - 1).percent()).isEqualTo(100f);
        assertThat(ps.subList(0, ps.size() - 1)).allSatisfy(p -> assertThat(p.percent()).isLessThan(100f));
    }

    @Test
    void blenderAnimationWithoutARangeNeverClaimsCompletion() throws IOException {
        List<String> argv = List.of("blender", "-b", "x.blend", "-a");
        assertThat(BlenderParser.frameCount(argv)).as("the scene's range: unknown here").isZero();
        assertThat(BlenderParser.frameCount(List.of("blender", "-b", "x.blend", "-a", "-s", "1", "-e", "9")))
                .as("a range after -a does not apply to it").isZero();

        List<Progress> ps = feed(Parsers.choose("blender", argv), lines("blender-2frames.txt"));

        assertThat(ps).isNotEmpty().allSatisfy(p -> assertThat(p.percent()).isLessThan(100f));
        assertThat(ps).extracting(Progress::frame).contains(1, 2);
    }

    @Test
    void realBlenderTiledOutputRisesTileByTileInsideOneFrame() throws IOException {
        // Blender 3.4.1, Cycles, 256x128 in 64 px tiles (8 tiles), 16 samples, one frame (-f 1)
        List<Progress> ps = feed(Parsers.choose("auto", List.of("blender", "-b", "-f", "1")), lines("blender-tiled.txt"));

        assertThat(ps).extracting(Progress::percent).isSorted();
        assertThat(ps).anySatisfy(p -> assertThat(p.percent()).isEqualTo(12.5f)); // 1 of 8 tiles done
        assertThat(ps).anySatisfy(p -> assertThat(p.percent()).isGreaterThan(50f).isLessThan(100f));
        assertThat(ps.get(ps.size() - 1).percent()).isEqualTo(100f);
    }

    @Test
    void blenderCyclesTiledOutputGivesProgressInsideAFrame() {
        BlenderParser p = new BlenderParser(1);
        String prefix = "Fra:1 Mem:1.20G (Peak 1.31G) | Time:00:41.07 | Remaining:03:25.11 | Mem:915.20M, Peak:915.20M"
                + " | Scene, ViewLayer | ";

        float first = p.accept(prefix + "Rendered 0/6 Tiles, Sample 32/64").orElseThrow().percent();
        float second = p.accept(prefix + "Rendered 1/6 Tiles, Sample 64/64").orElseThrow().percent();
        Progress third = p.accept(prefix + "Rendered 3/6 Tiles, Sample 16/64").orElseThrow();
        float last = p.accept(prefix + "Rendered 6/6 Tiles, Sample 64/64").orElseThrow().percent();

        assertThat(first).isCloseTo(100f * 0.5f / 6, org.assertj.core.data.Offset.offset(0.01f));
        assertThat(second).isCloseTo(100f / 6, org.assertj.core.data.Offset.offset(0.01f));
        assertThat(third.percent()).isCloseTo(100f * 3.25f / 6, org.assertj.core.data.Offset.offset(0.01f));
        assertThat(third.etaSeconds()).isEqualTo(205);
        assertThat(last).as("not 100 until the frame is saved").isLessThan(100f);
        assertThat(p.accept("Saved: '/tmp/x0001.png'").orElseThrow().percent()).isEqualTo(100f);
        assertThat(p.accept(prefix + "Rendered 7/6 Tiles, Sample 1/64").orElseThrow().percent()).isEqualTo(100f);
    }

    @Test
    void garbageNeverThrows() {
        ProgressParser p = Parsers.choose("auto", List.of("x"));
        for (String s : new String[] {"", "Fra:", "Fra:99999999999999999999 | Sample 1/2", "Rendered -1 of 0 pixels",
                "| 9999999999% done", "Rendering image...: 1e9%", "\u0000\u0001", "TR_PROGRESS %"}) {
            p.accept(s);
        }
    }
}
