package dev.drover.coordinator.fleet;

import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.TaskFinished;

/**
 * Told what happens in the fleet, after the fact and off the agent's connection (events are delivered in
 * order on one thread of their own), so a listener may take its own locks and call back into nodes freely.
 */
public interface FleetListener {

    default void transitioned(String nodeId, String pool, Transition transition) {
    }

    default void evictionNotice(String nodeId, String pool, EvictionNotice notice) {
    }

    /**
     * A node Evicting under a Terminate that let its tasks finish must now give them up (the agent's ETA fell
     * back, or a Preempt came): requeue them now, as on any eviction.
     */
    default void evictionRequeueNow(String nodeId, String pool, String why) {
    }

    default void taskFinished(String nodeId, String pool, TaskFinished finished) {
    }
}
