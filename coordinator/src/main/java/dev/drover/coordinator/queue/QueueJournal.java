package dev.drover.coordinator.queue;

import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import java.time.Instant;
import java.util.List;

/**
 * Where the built-in queue keeps its jobs and tasks across coordinator restarts (the state store in production,
 * nothing in unit tests). Each call is durable when it returns.
 */
public interface QueueJournal {

    /** Keeps nothing. */
    QueueJournal NONE = new QueueJournal() {
    };

    /** A new job and its tasks, with the next job id to give out. */
    default void jobSubmitted(long jid, BuiltInQueue.JobSpec job, Instant at, List<TaskRecord> tasks, long nextJid) {
    }

    /** A task as it is now. */
    default void task(TaskRecord task) {
    }

    /** A run of a task ended; written with the task's new state (in the same {@link #atomically} body). */
    default void runEnded(TaskRun run) {
    }

    /** A node's report of a finished task has been applied (or found stale): it need not be replayed. */
    default void finishApplied(String nodeId, TaskRef task) {
    }

    /** Runs {@code body} so that every write in it is kept together or not at all. */
    default void atomically(Runnable body) {
        body.run();
    }

    /** Everything about one task: what to run and where it stands. */
    record TaskRecord(TaskRef ref, String jobTitle, String serviceKey, BuiltInQueue.TaskSpec spec,
            BuiltInQueue.State state, int attempts, int requeues, String node, List<String> nodesTried, Instant since) {
        public TaskRecord {
            nodesTried = List.copyOf(nodesTried);
        }
    }

    /** A task finish an agent was told is safe, that the queue had not applied when the coordinator stopped. */
    record PendingFinish(String nodeId, String pool, TaskFinished finished) {
    }

    /** The queue as it was: tasks in submission order, the next job id, finishes not yet applied. */
    record Remembered(long nextJid, List<TaskRecord> tasks, List<PendingFinish> pendingFinishes) {
        public Remembered {
            tasks = List.copyOf(tasks);
            pendingFinishes = List.copyOf(pendingFinishes);
        }
    }
}
