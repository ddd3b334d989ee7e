package dev.drover.coordinator.api;

import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.metrics.Metrics;
import dev.drover.coordinator.provision.Provisioning;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.scaling.ScalingLoop;
import dev.drover.coordinator.timeline.Timeline;

/**
 * What the HTTP API reads and acts on.
 *
 * @param queue the built-in queue, or null when Tractor is the queue
 */
public record ApiContext(NodeRegistry registry, ScalingLoop scaling, Provisioning provisioning, BuiltInQueue queue,
        Timeline timeline, Metrics metrics, Auth auth) {
}
