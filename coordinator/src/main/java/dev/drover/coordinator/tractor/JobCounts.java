package dev.drover.coordinator.tractor;

/**
 * One job's task counts from the engine's Job table (specs/tractor-and-cyclecloud.md §3 Job fields
 * {@code numready}, {@code numactive}; §1.5 "Per job"), with the job's service-key expression.
 * <b>(verify)</b> A key set on a task or command overrides the job's (§1.5, precedence unconfirmed); reading it
 * would take one row per task, so Drover counts a job's ready tasks under the job's key.
 */
public record JobCounts(long jid, String service, int ready, int active) {
}
