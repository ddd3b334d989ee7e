package dev.drover.coordinator.provision;

import java.time.Instant;
import java.util.List;

/**
 * Where orchestration keeps what must survive a coordinator restart: pauses, drains, and deletes that were asked
 * for and not yet seen through (the state store in production, nothing in unit tests). Each call is durable when
 * it returns, so a scale-set call made after it is never forgotten.
 */
public interface ProvisionJournal {

    ProvisionJournal NONE = new ProvisionJournal() {
    };

    default void paused(String pool, boolean paused, String who, Instant at) {
    }

    default void drainStarted(Drain drain) {
    }

    default void drainEnded(String nodeId) {
    }

    /** A delete of {@code instanceId} is about to be asked for, or (step DELIST) was done and the blade is next. */
    default void deletePending(PendingDelete delete) {
    }

    /** The delete and the delist are both done (or the delete failed and will be decided afresh). */
    default void deleteDone(String pool, String instanceId) {
    }

    /** A drain: on completion ({@code deadlineMillis} 0) or by a deadline, and who asked. */
    record Drain(String nodeId, long deadlineMillis, String requestedBy, Instant at) {
        public String mode() {
            return deadlineMillis > 0 ? "DEADLINE" : "ON_COMPLETION";
        }
    }

    enum Step { DELETE, DELIST }

    record PendingDelete(String pool, String instanceId, String nodeId, String why, Step step, Instant at) {
    }

    /** What orchestration remembered at start-up. */
    record Remembered(List<String> paused, List<Drain> drains, List<PendingDelete> deletes) {
        public Remembered {
            paused = List.copyOf(paused);
            drains = List.copyOf(drains);
            deletes = List.copyOf(deletes);
        }
    }
}
