package dev.drover.coordinator.simulate;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Makes the reference traces (and more like them) from a seed. Runtimes are log-normal around each job's own
 * median, as frames of one shot are alike and shots are not.
 * <ul>
 * <li>{@code nightly}: 12 jobs of 40 frames, 1.5–4 h a frame, submitted between 20:00 and 22:00;
 * <li>{@code artist}: a working day (09:00–19:00) of 150 jobs, each 5–60 frames of 1–8 min, arriving at random;
 * <li>{@code crunch}: a deadline afternoon, 30 jobs of 50–150 frames of 10–40 min within two hours (run it on
 * a Spot pool with a high eviction hazard).
 * </ul>
 */
public final class TraceGenerator {

    private TraceGenerator() {
    }

    public static Trace generate(String kind, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Trace.Task> tasks = new ArrayList<>();
        switch (kind) {
            case "nightly" -> {
                for (int j = 0; j < 12; j++) {
                    job(tasks, r, "night-" + j, 20 * 3600 + r.nextDouble(2 * 3600), 40, uniform(r, 5400, 14400),
                            "render");
                }
            }
            case "artist" -> {
                for (int j = 0; j < 150; j++) {
                    job(tasks, r, "artist-" + j, 9 * 3600 + r.nextDouble(10 * 3600), 5 + r.nextInt(56),
                            uniform(r, 60, 480), "render");
                }
            }
            case "crunch" -> {
                for (int j = 0; j < 30; j++) {
                    job(tasks, r, "crunch-" + j, 14 * 3600 + r.nextDouble(2 * 3600), 50 + r.nextInt(101),
                            uniform(r, 600, 2400), "render");
                }
            }
            default -> throw new IllegalArgumentException("--generate: unknown trace kind '" + kind
                    + "' (nightly, artist, crunch)");
        }
        return new Trace(kind + "-" + seed, tasks);
    }

    private static double uniform(SplittableRandom r, double lo, double hi) {
        return lo + r.nextDouble() * (hi - lo);
    }

    private static void job(List<Trace.Task> tasks, SplittableRandom r, String job, double submit, int frames,
            double median, String service) {
        double sub = Math.floor(submit);
        for (int f = 0; f < frames; f++) {
            double runtime = Math.max(10, Math.round(median * Math.exp(0.25 * r.nextGaussian())));
            tasks.add(new Trace.Task(tasks.size(), job, sub, runtime, service));
        }
    }
}
