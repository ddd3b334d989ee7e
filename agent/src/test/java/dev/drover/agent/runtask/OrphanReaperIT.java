package dev.drover.agent.runtask;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.protocol.TaskRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Stopping a previous agent's tasks with real processes: only provably the recorded ones, whole groups. */
class OrphanReaperIT {
    private static final TaskRef TASK = new TaskRef(3, 1, 0);
    private Process process;

    @AfterEach
    void cleanUp() {
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** A render stand-in in a group of its own, with a child, as drover-run starts it. */
    private long startGroup() throws Exception {
        process = new ProcessBuilder("setsid", "sh", "-c", "sleep 300 & sleep 300; wait").start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (ProcStat.all().stream().filter(p -> p.pgrp() == process.pid() && p.alive()).count() >= 3) {
                return process.pid();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("task group did not come up");
    }

    private static TaskLedger.Running record(long groupId, long groupStartTicks) {
        return new TaskLedger.Running(TASK.jid(), TASK.tid(), TASK.cid(), 0, -1, 0, groupId, groupStartTicks, 1, 1);
    }

    @Test
    void recordedGroupIsStoppedWhole() throws Exception {
        long group = startGroup();
        Map<TaskRef, Integer> signals = OrphanReaper.stop(List.of(record(group, ProcStat.startTicksOf(group))),
                Duration.ofSeconds(10));
        assertThat(signals).containsEntry(TASK, OrphanReaper.SIGTERM);
        assertThat(ProcStat.all().stream().filter(p -> p.pgrp() == group && p.alive())).isEmpty();
    }

    @Test
    void processThatMerelyHasTheRecordedPidIsLeftAlone() throws Exception {
        long group = startGroup();
        long otherStart = ProcStat.startTicksOf(group) + 1; // the recorded task started at another moment
        Map<TaskRef, Integer> signals = OrphanReaper.stop(List.of(record(group, otherStart)), Duration.ofSeconds(2));
        assertThat(signals).containsEntry(TASK, 0);
        assertThat(process.isAlive()).isTrue();
    }
}
