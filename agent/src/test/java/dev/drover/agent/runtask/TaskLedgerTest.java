package dev.drover.agent.runtask;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which RunTask runs, and that each launch is reported finished exactly once, across restarts. */
class TaskLedgerTest {
    private static final TaskRef TASK = new TaskRef(5, 1, 0);

    @TempDir
    Path dir;

    private final List<Reliable> sent = new ArrayList<>();
    private final Set<Long> acked = new HashSet<>();

    private Reliable send(LongFunction<Reliable> create) {
        Reliable r = create.apply(sent.size() + 1);
        sent.add(r);
        return r;
    }

    private TaskLedger open(List<Reliable> pending) {
        return TaskLedger.open(dir, this::send, acked::contains, pending);
    }

    private List<TaskFinished> finishes() {
        return sent.stream().filter(TaskFinished.class::isInstance).map(TaskFinished.class::cast).toList();
    }

    @Test
    void aTaskIsReportedFinishedOnceWhoeverReportsIt() {
        TaskLedger ledger = open(List.of());
        assertThat(ledger.admit(TASK, 1)).isEqualTo(TaskLedger.Admission.LAUNCH);
        ledger.started(TASK, 2, 4242);
        ledger.started(TASK, 2, 4242);
        assertThat(ledger.finish(TASK, 0, 0, 10, 100, 3)).isTrue();
        assertThat(ledger.finish(TASK, 1, 0, 11, -1, 4)).isFalse(); // the wrapper's exit, later
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0)).isEqualTo(new TaskStarted(1, TASK, 2, 4242));
        assertThat(finishes()).singleElement().extracting(TaskFinished::exitCode).isEqualTo(0);
    }

    @Test
    void duplicateWhileRunningDoesNotLaunchAndRepeatsAnAcknowledgedStart() {
        TaskLedger ledger = open(List.of());
        ledger.admit(TASK, 1);
        assertThat(ledger.admit(TASK, 1)).isEqualTo(TaskLedger.Admission.DUPLICATE);
        assertThat(sent).isEmpty(); // not started yet: nothing to repeat
        ledger.started(TASK, 2, 4242);
        assertThat(ledger.admit(TASK, 1)).isEqualTo(TaskLedger.Admission.DUPLICATE);
        assertThat(sent).hasSize(1); // start report still unacknowledged: it arrives on its own
        acked.add(1L);
        assertThat(ledger.admit(TASK, 1)).isEqualTo(TaskLedger.Admission.DUPLICATE);
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1)).isEqualTo(new TaskStarted(2, TASK, 2, 4242));
    }

    @Test
    void successIsReportedAgainNeverRunAgainWhileAFailureMayBeRetried() {
        TaskLedger ledger = open(List.of());
        ledger.admit(TASK, 1);
        ledger.finish(TASK, 0, 0, 10, 100, 3);
        assertThat(ledger.admit(TASK, 5)).isEqualTo(TaskLedger.Admission.DUPLICATE); // report not acknowledged
        assertThat(finishes()).hasSize(1);
        acked.add(1L);
        assertThat(ledger.admit(TASK, 5)).isEqualTo(TaskLedger.Admission.DUPLICATE);
        assertThat(finishes()).hasSize(2).allMatch(f -> f.exitCode() == 0 && f.runtimeMillis() == 10);

        TaskRef failing = new TaskRef(5, 2, 0);
        ledger.admit(failing, 1);
        ledger.finish(failing, 3, 0, 10, -1, 3);
        assertThat(ledger.admit(failing, 5)).isEqualTo(TaskLedger.Admission.DUPLICATE);
        acked.add((long) sent.size());
        assertThat(ledger.admit(failing, 5)).isEqualTo(TaskLedger.Admission.LAUNCH);
    }

    @Test
    void runningTasksOfAPreviousProcessAreItsOrphansUntilReported() {
        TaskLedger before = open(List.of());
        before.admit(TASK, 1);
        before.launched(TASK, 777, 12345);
        TaskRef done = new TaskRef(5, 9, 0);
        before.admit(done, 1);
        before.finish(done, 0, 0, 1, -1, 2);

        TaskLedger after = open(List.of());
        assertThat(after.previousIncarnation()).singleElement()
                .satisfies(r -> assertThat(r.runnerPid()).isEqualTo(777))
                .satisfies(r -> assertThat(r.runnerStartTicks()).isEqualTo(12345));
        assertThat(after.admit(TASK, 3)).isEqualTo(TaskLedger.Admission.DUPLICATE); // never twice at once
        assertThat(after.finish(TASK, TaskLauncher.AGENT_RESTARTED, 9, 5, -1, 6)).isTrue();
        assertThat(open(List.of()).previousIncarnation()).isEmpty();
    }

    @Test
    void aFinishAlreadyInTheOutboxSettlesTheOrphanWithoutASecondReport() {
        TaskLedger before = open(List.of());
        before.admit(TASK, 1);
        // The crash came after the TaskFinished reached the journal and before the ledger was saved.
        TaskFinished inJournal = new TaskFinished(1, TASK, 0, 0, 5, -1, 9);
        TaskLedger after = open(List.of(inJournal));
        assertThat(after.previousIncarnation()).isEmpty();
        assertThat(after.admit(TASK, 10)).isEqualTo(TaskLedger.Admission.DUPLICATE);
        assertThat(sent).isEmpty();
    }
}
