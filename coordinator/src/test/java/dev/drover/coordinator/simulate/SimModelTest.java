package dev.drover.coordinator.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.drover.coordinator.scaling.PoolSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The event model on tiny traces whose outcome is computed by hand. */
class SimModelTest {

    static SimPool pool(int slots, int max, double bootSeconds, double hazard) {
        return new SimPool(new PoolSpec("p", "v", "", hazard > 0, slots, Set.of("render"), 0, max, 1.0,
                Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 10), bootSeconds, 0, 0, hazard);
    }

    static Trace twoTasks() {
        return Trace.parse("tiny", List.of("job,submit_s,runtime_s,service", "a,0,600,Render", "a,0,600,render"));
    }

    @Test
    void oneNodeRunsTwoTasksInTurnAndIsPaidFromRequestToDelete() {
        // one 1-slot node ($1/h) asked for at 0, up at 60, tasks 60-660 and 660-1260, idle 300 s, then drained
        // (policy sees it at 1560) and deleted 60 s later: 1620 s paid = $0.45
        for (String policy : List.of("drover-count", "drover", "scalelib")) {
            SimResult r = new SimModel(twoTasks(), List.of(pool(1, 1, 60, 0)), SimulateCommand.policy(policy), 1)
                    .run();

            assertThat(r.cost()).as(policy).isCloseTo(0.45, within(1e-9));
            assertThat(r.makespanSeconds()).as(policy).isEqualTo(1260);
            assertThat(r.jobCompletionSeconds()).as(policy).containsEntry("a", 1260.0);
            assertThat(r.nodeHours().get(SimResult.Bucket.BOOTING)).isCloseTo(60 / 3600.0, within(1e-9));
            assertThat(r.nodeHours().get(SimResult.Bucket.BUSY)).isCloseTo(1200 / 3600.0, within(1e-9));
            assertThat(r.nodeHours().get(SimResult.Bucket.IDLE)).isCloseTo(300 / 3600.0, within(1e-9));
            assertThat(r.nodeHours().get(SimResult.Bucket.DRAINING)).isCloseTo(60 / 3600.0, within(1e-9));
            assertThat(r.nodesRequested()).isEqualTo(1);
            assertThat(r.drains()).isEqualTo(1);
            assertThat(r.lostTaskHours()).isZero();
        }
    }

    @Test
    void boundsOfTheTinyTraceAreTheHandComputedOnes() {
        Bounds b = Bounds.of(twoTasks(), List.of(pool(1, 1, 60, 0)));

        assertThat(b.cost()).isCloseTo(1200 / 3600.0, within(1e-9)); // 20 task-minutes at $1 a slot-hour
        assertThat(b.makespanSeconds()).isEqualTo(1260); // boot 60 + 1200 s of work on the one slot
    }

    @Test
    void evictedTasksAreRequeuedAndTheirWorkCountedAsLost() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add("j" + (i % 4) + ",0,3600,render");
        }
        // two evictions an hour per node against one-hour tasks: most attempts are lost, every task still ends
        SimResult r = new SimModel(Trace.parse("spot", lines), List.of(pool(2, 10, 120, 2.0)),
                SimulateCommand.policy("drover"), 7).run();

        assertThat(r.evictions()).isPositive();
        assertThat(r.lostTaskHours()).isPositive();
        assertThat(r.jobCompletionSeconds()).containsOnlyKeys("j0", "j1", "j2", "j3");
        assertThat(r.nodeHours().get(SimResult.Bucket.BUSY) * 2).isGreaterThanOrEqualTo(40 * 0.999);
    }

    @Test
    void theSameSeedGivesTheSameReportAndAnotherSeedAnother() throws Exception {
        Trace crunch = TraceGenerator.generate("crunch", 3);
        Trace t = new Trace("crunch-part", crunch.tasks().subList(0, 400)); // Spot evictions, in a second or two
        List<SimPool> farm = SimPool.defaults();
        List<String> policies = List.of("drover", "batch");

        SimulateCommand.Outcome a = SimulateCommand.run(t, farm, policies, 42);
        SimulateCommand.Outcome b = SimulateCommand.run(t, farm, policies, 42);
        SimulateCommand.Outcome c = SimulateCommand.run(t, farm, policies, 43);

        assertThat(b.table()).isEqualTo(a.table());
        assertThat(HtmlReport.render(b.trace(), b.bounds(), b.results(), "x"))
                .isEqualTo(HtmlReport.render(a.trace(), a.bounds(), a.results(), "x"));
        assertThat(c.table()).isNotEqualTo(a.table());
    }

    @Test
    void badTraceLinesAreRejectedNamingLineAndField() {
        assertThatThrownBy(() -> Trace.parse("t.csv", List.of("a,0,abc,render")))
                .hasMessageContaining("t.csv line 1").hasMessageContaining("runtime_s");
        assertThatThrownBy(() -> Trace.parse("t.csv", List.of("# c", "a,0,10")))
                .hasMessageContaining("t.csv line 2").hasMessageContaining("4 fields");
        assertThatThrownBy(() -> Trace.parse("t.csv", List.of("a,-1,10,render")))
                .hasMessageContaining("submit_s >= 0");
        assertThatThrownBy(() -> Bounds.of(Trace.parse("t", List.of("a,0,10,houdini")), List.of(pool(1, 1, 60, 0))))
                .hasMessageContaining("houdini");
    }
}
