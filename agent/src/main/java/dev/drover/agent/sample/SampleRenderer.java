package dev.drover.agent.sample;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Drover's sample renderer for the demo and tests: one frame of a zoom into the Mandelbrot set, rendered on
 * the CPU with supersampling (real work, a few seconds a frame), written as a PNG, with progress printed the
 * way Tractor-aware renderers do ({@code TR_PROGRESS NN%}) and human-readable lines between.
 */
@Command(name = "drover-sample-render", mixinStandardHelpOptions = true,
        description = "Renders one frame of a Mandelbrot zoom to PNG (the Drover demo's renderer).")
public final class SampleRenderer implements Callable<Integer> {
    // A point on the set's boundary where a deep zoom stays interesting.
    private static final double CENTRE_X = -0.743643887037151;
    private static final double CENTRE_Y = 0.131825904205330;

    @Option(names = "--frame", required = true, description = "Frame number (1-based).")
    int frame;

    @Option(names = "--frames", defaultValue = "100", description = "Frames in the whole zoom (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--out", required = true, description = "Directory for frame_NNNN.png.")
    Path out;

    @Option(names = "--width", defaultValue = "480") int width;

    @Option(names = "--height", defaultValue = "270") int height;

    @Option(names = "--samples", defaultValue = "2", description = "Supersamples per axis (work grows with its square).")
    int samples;

    @Option(names = "--iterations", defaultValue = "1500", description = "Escape-time iterations per sample.")
    int iterations;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SampleRenderer()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        if (frame < 1 || frames < 1 || width < 8 || height < 8 || width > 8192 || height > 8192 || samples < 1
                || samples > 8 || iterations < 16) {
            System.err.println("drover-sample-render: need frame >= 1, 8 <= width,height <= 8192, 1 <= samples <= 8,"
                    + " iterations >= 16");
            return 2;
        }
        Files.createDirectories(out);
        double scale = 3.0 * Math.pow(0.9, frame - 1) / width;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        System.out.println("drover-sample: frame " + frame + " of " + frames + ", " + width + "x" + height + ", "
                + samples * samples + " samples/pixel");
        int lastPercent = -1;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, pixel(x, y, scale));
            }
            int percent = (y + 1) * 100 / height;
            if (percent / 5 != lastPercent / 5) {
                lastPercent = percent;
                System.out.println("drover-sample: frame " + frame + " row " + (y + 1) + "/" + height);
                System.out.println("TR_PROGRESS " + percent + "%");
                System.out.flush();
            }
        }
        Path file = out.resolve(String.format("frame_%04d.png", frame));
        Path partial = out.resolve(file.getFileName() + ".partial");
        ImageIO.write(image, "png", partial.toFile());
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("drover-sample: saved " + file.toAbsolutePath());
        return 0;
    }

    private int pixel(int x, int y, double scale) {
        double r = 0;
        double g = 0;
        double b = 0;
        for (int sy = 0; sy < samples; sy++) {
            for (int sx = 0; sx < samples; sx++) {
                double cx = CENTRE_X + (x + (sx + 0.5) / samples - width / 2.0) * scale;
                double cy = CENTRE_Y + (y + (sy + 0.5) / samples - height / 2.0) * scale;
                double t = escape(cx, cy);
                // a smooth palette: the interior is black, the outside cycles through warm and cool tones
                if (t >= 0) {
                    r += 0.5 + 0.5 * Math.cos(3.0 + t * 0.15);
                    g += 0.5 + 0.5 * Math.cos(3.6 + t * 0.15);
                    b += 0.5 + 0.5 * Math.cos(4.2 + t * 0.15);
                }
            }
        }
        double n = samples * samples;
        return (channel(r / n) << 16) | (channel(g / n) << 8) | channel(b / n);
    }

    /** Smooth escape time, or -1 inside the set. */
    private double escape(double cx, double cy) {
        double zx = 0;
        double zy = 0;
        for (int i = 0; i < iterations; i++) {
            double xx = zx * zx;
            double yy = zy * zy;
            if (xx + yy > 256) {
                return i + 1 - Math.log(Math.log(Math.sqrt(xx + yy))) / Math.log(2);
            }
            zy = 2 * zx * zy + cy;
            zx = xx - yy + cx;
        }
        return -1;
    }

    private static int channel(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v * 255)));
    }
}
