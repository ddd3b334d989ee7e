package dev.drover.coordinator.simulate;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drover-coordinator simulate}: replays a trace against Drover's scaling policy and the peers' baselines
 * on a discrete-event model of the pools, and prints (and optionally writes as HTML) what each cost.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Replay a farm trace against Drover's scaling policy and the peers' autoscalers.")
public final class SimulateCommand implements Callable<Integer> {
    /** Every policy, in table order. */
    public static final List<String> POLICIES = List.of("drover", "drover-count", "scalelib", "autoscaler",
            "batch");

    @Option(names = "--trace", paramLabel = "FILE", description = "Trace CSV: job,submit_s,runtime_s,service.")
    Path trace;

    @Option(names = "--pools", paramLabel = "FILE", description = "Pools JSON (default: a Spot pool with a "
            + "Regular fallback, 4 slots, 50 nodes each).")
    Path pools;

    @Option(names = "--policy", split = ",", paramLabel = "NAME",
            description = "drover, drover-count, scalelib, autoscaler, batch (default: all).")
    List<String> policies = new ArrayList<>(POLICIES);

    @Option(names = "--seed", description = "Random seed for boots, allocation failures and evictions "
            + "(default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;

    @Option(names = "--report", paramLabel = "FILE", description = "Also write a self-contained HTML report.")
    Path report;

    @Option(names = "--generate", paramLabel = "KIND", description = "Write a generated trace (nightly, artist, "
            + "crunch; seeded by --seed) to --trace FILE and exit.")
    String generate;

    @Override
    public Integer call() throws Exception {
        if (trace == null) {
            System.err.println("simulate: --trace FILE is required");
            return 2;
        }
        try {
            if (generate != null) {
                Trace t = TraceGenerator.generate(generate, seed);
                Files.write(trace, t.toLines(), StandardCharsets.UTF_8);
                System.out.printf("wrote %s: %d tasks%n", trace, t.tasks().size());
                return 0;
            }
            List<SimPool> farm = pools == null ? SimPool.defaults() : SimPool.load(pools);
            Outcome o = run(Trace.load(trace), farm, policies, seed);
            System.out.print(o.table());
            if (report != null) {
                Files.writeString(report, HtmlReport.render(o.trace(), o.bounds(), o.results(), commandLine()),
                        StandardCharsets.UTF_8);
                System.out.println("report: " + report);
            }
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("simulate: " + e.getMessage());
            return 2;
        }
    }

    /** The trace, its bounds and each policy's result. */
    public record Outcome(Trace trace, Bounds bounds, List<SimResult> results) {
        public String table() {
            return Report.table(trace, bounds, results);
        }
    }

    /** The command's work without I/O: runs each policy on the trace with the same seed. */
    public static Outcome run(Trace trace, List<SimPool> farm, List<String> policies, long seed) {
        Bounds bounds = Bounds.of(trace, farm);
        List<SimResult> results = new ArrayList<>();
        for (String name : policies) {
            results.add(new SimModel(trace, farm, policy(name), seed).run());
        }
        return new Outcome(trace, bounds, results);
    }

    public static SimPolicy policy(String name) {
        return switch (name) {
            case "drover" -> new DroverSimPolicy(true);
            case "drover-count" -> new DroverSimPolicy(false);
            case "scalelib" -> new Baselines.Scalelib();
            case "autoscaler" -> new Baselines.Autoscaler();
            case "batch" -> new Baselines.Batch();
            default -> throw new IllegalArgumentException("--policy: unknown policy '" + name + "' (one of "
                    + String.join(", ", POLICIES) + ")");
        };
    }

    private String commandLine() {
        return "drover-coordinator simulate --trace " + trace + (pools != null ? " --pools " + pools : "")
                + " --policy " + String.join(",", policies) + " --seed " + seed;
    }
}
