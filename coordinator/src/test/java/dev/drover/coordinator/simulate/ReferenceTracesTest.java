package dev.drover.coordinator.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The repository's reference traces replayed by every policy, against the bounds; and the command itself. */
class ReferenceTracesTest {
    private static final Path SIM = Path.of("..", "sim");

    @Test
    void everyPolicyOnEveryReferenceTraceStaysAboveTheBounds() throws Exception {
        for (String name : List.of("nightly", "artist", "crunch")) {
            Trace trace = Trace.load(SIM.resolve(name + ".csv"));
            SimulateCommand.Outcome o = SimulateCommand.run(trace, SimPool.load(SIM.resolve("pools.json")),
                    SimulateCommand.POLICIES, 1);

            assertThat(o.results()).hasSize(SimulateCommand.POLICIES.size());
            for (SimResult r : o.results()) {
                assertThat(r.cost()).as(name + " " + r.policy()).isGreaterThanOrEqualTo(o.bounds().cost());
                assertThat(r.makespanSeconds()).as(name + " " + r.policy())
                        .isGreaterThanOrEqualTo(o.bounds().makespanSeconds());
                assertThat(r.jobCompletionSeconds()).as(name + " " + r.policy())
                        .hasSize((int) trace.tasks().stream().map(Trace.Task::job).distinct().count());
            }
        }
    }

    @Test
    void referenceTracesAreWhatTheGeneratorMakes() throws Exception {
        for (String name : List.of("nightly", "artist", "crunch")) {
            assertThat(Files.readAllLines(SIM.resolve(name + ".csv")))
                    .isEqualTo(TraceGenerator.generate(name, 17).toLines());
        }
    }

    @Test
    void theCommandPrintsTheTableAndWritesASelfContainedReport(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("tiny.csv");
        Files.write(trace, List.of("job,submit_s,runtime_s,service", "a,0,600,render", "a,0,600,render",
                "b,300,60,render"));
        Path html = dir.resolve("out.html");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = new CommandLine(new dev.drover.coordinator.CoordinatorMain()).execute("simulate", "--trace",
                    trace.toString(), "--pools", SIM.resolve("pools.json").toString(), "--report", html.toString());
        } finally {
            System.setOut(old);
        }

        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).isZero();
        assertThat(printed).contains("trace tiny.csv: 3 tasks").contains("lower bound");
        SimulateCommand.POLICIES.forEach(p -> assertThat(printed).contains(p));
        String report = Files.readString(html);
        assertThat(report).contains("<svg").contains("<polyline").doesNotContain("http://", "https://", "<script");
    }

    @Test
    void anUnknownPolicyIsAnErrorNamingTheOption(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("tiny.csv");
        Files.write(trace, List.of("a,0,60,render"));
        int code = new CommandLine(new dev.drover.coordinator.CoordinatorMain()).execute("simulate", "--trace",
                trace.toString(), "--policy", "karpenter");
        assertThat(code).isEqualTo(2);
    }
}
