package dev.drover.agent.sample;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.agent.run.progress.Directives;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SampleRendererTest {
    @TempDir
    Path dir;

    @Test
    void rendersAPngAndReportsRisingProgressTheBladeUnderstands() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new SampleRenderer()).execute("--frame", "3", "--frames", "10", "--out",
                    dir.toString(), "--width", "64", "--height", "40", "--samples", "1", "--iterations", "64");
        } finally {
            System.setOut(old);
        }
        assertThat(exit).isZero();
        BufferedImage png = ImageIO.read(dir.resolve("frame_0003.png").toFile());
        assertThat(png.getWidth()).isEqualTo(64);
        assertThat(png.getHeight()).isEqualTo(40);
        assertThat(Files.list(dir)).hasSize(1); // no .partial left behind
        String out = captured.toString(StandardCharsets.UTF_8);
        var progress = out.lines().filter(Directives::isDirective).map(l -> new Directives().accept(l).orElseThrow())
                .map(p -> p.percent()).toList();
        assertThat(progress).isSorted().hasSizeGreaterThan(5).last().isEqualTo(100f);
    }

    @Test
    void refusesNonsenseSizes() {
        int exit = new CommandLine(new SampleRenderer()).execute("--frame", "1", "--out", dir.toString(), "--width",
                "100000");
        assertThat(exit).isEqualTo(2);
    }
}
