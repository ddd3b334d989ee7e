package dev.drover.agent.imds;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TerminateGraceTest {
    private static final Instant NOW = Instant.parse("2026-11-30T02:00:00Z");
    private static final Duration MARGIN = Duration.ofSeconds(30);

    /** A task started {@code ago} seconds before NOW, at {@code percent} now, with no renderer ETA. */
    private static TaskTiming task(String id, long ago, double percent) {
        return new TaskTiming(id, NOW.minusSeconds(ago), percent, -1, NOW);
    }

    @Test
    void letsTasksFinishWhenEveryEtaEndsBeforeNotBeforeLessTheMargin() {
        // 60 s for 50 %: 60 s left; NotBefore in 10 min
        var d = TerminateGrace.decide(Optional.of(NOW.plusSeconds(600)), NOW, 2,
                List.of(task("a", 60, 50), task("b", 10, 80)), MARGIN);

        assertThat(d.letFinish()).isTrue();
        assertThat(d.finishBy()).contains(NOW.plusSeconds(570));
        assertThat(d.reason()).contains("ETA 60 s fits");
    }

    @Test
    void requeuesWhenTheEtaDoesNotFitWithTheMargin() {
        // 60 s left, NotBefore in 80 s: 50 s of budget after the 30 s margin
        var d = TerminateGrace.decide(Optional.of(NOW.plusSeconds(80)), NOW, 1, List.of(task("a", 60, 50)), MARGIN);

        assertThat(d.letFinish()).isFalse();
        assertThat(d.finishBy()).isEmpty();
        assertThat(d.reason()).contains("does not fit");
    }

    @Test
    void exactlyAtTheMarginStillFits() {
        var d = TerminateGrace.decide(Optional.of(NOW.plusSeconds(90)), NOW, 1, List.of(task("a", 60, 50)), MARGIN);

        assertThat(d.letFinish()).isTrue();
    }

    @Test
    void aTaskWithoutEtaDoesNotFit() {
        var d = TerminateGrace.decide(Optional.of(NOW.plusSeconds(900)), NOW, 2,
                List.of(task("a", 60, 50), task("b", 60, 0)), MARGIN);

        assertThat(d.letFinish()).isFalse();
        assertThat(d.reason()).contains("task b has no ETA");
    }

    @Test
    void aLaunchedTaskDroverRunHasNotReportedDoesNotFit() {
        var d = TerminateGrace.decide(Optional.of(NOW.plusSeconds(900)), NOW, 2, List.of(task("a", 60, 50)), MARGIN);

        assertThat(d.letFinish()).isFalse();
        assertThat(d.reason()).contains("not reported");
    }

    @Test
    void startedEventOrIdleNodeHasNothingToLetFinish() {
        assertThat(TerminateGrace.decide(Optional.empty(), NOW, 1, List.of(task("a", 60, 99)), MARGIN).letFinish())
                .isFalse();
        assertThat(TerminateGrace.decide(Optional.of(NOW.plusSeconds(900)), NOW, 0, List.of(), MARGIN).letFinish())
                .isFalse();
    }

    @Test
    void aStalledTaskSlipsPastTheMarginAsTheClockMoves() {
        // 50 % after 60 s and no progress since: the rate is measured up to now, so the ETA grows
        TaskTiming stalled = task("a", 60, 50);
        Optional<Instant> notBefore = Optional.of(NOW.plusSeconds(300));

        assertThat(TerminateGrace.decide(notBefore, NOW, 1, List.of(stalled), MARGIN).letFinish()).isTrue();
        Instant later = NOW.plusSeconds(120); // 180 s for 50 %: 180 s left, 150 s of budget
        var d = TerminateGrace.decide(notBefore, later, 1, List.of(stalled), MARGIN);
        assertThat(d.letFinish()).isFalse();
        assertThat(d.reason()).contains("ETA 180 s");
    }

    @Test
    void theMorePessimisticOfRateAndRendererEtaCounts() {
        // rate says 60 s; the renderer said 200 s, 20 s ago: 180 s
        TaskTiming t = new TaskTiming("a", NOW.minusSeconds(60), 50, 200, NOW.minusSeconds(20));
        assertThat(TerminateGrace.remaining(t, NOW)).contains(Duration.ofSeconds(180));
        // a renderer ETA alone (no percent yet) is enough
        TaskTiming early = new TaskTiming("b", NOW.minusSeconds(5), 0, 40, NOW);
        assertThat(TerminateGrace.remaining(early, NOW)).contains(Duration.ofSeconds(40));
        // neither: unknown
        assertThat(TerminateGrace.remaining(task("c", 5, 0), NOW)).isEmpty();
    }
}
