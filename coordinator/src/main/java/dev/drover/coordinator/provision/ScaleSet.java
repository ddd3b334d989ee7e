package dev.drover.coordinator.provision;

import io.vertx.core.Future;
import java.util.List;

/**
 * The machines behind a pool: an Azure VM Scale Set in production, agent processes on this machine in the
 * demo. Capacity only ever grows through {@link #setCapacity}; it shrinks only by deleting chosen, drained
 * instances, so the provider never picks a victim that is still rendering.
 */
public interface ScaleSet {

    /** For logs and the API: where this is (e.g. the scale set's ARM id). */
    String describe();

    /** Every instance that exists now, with its power state. */
    Future<List<Instance>> instances();

    /** Asks for {@code capacity} instances in all; completes when the provider has accepted and applied it. */
    Future<Void> setCapacity(int capacity);

    /** Deletes exactly these instances. */
    Future<Void> delete(List<String> instanceIds);

    /** What the provider last said about its request limits (ARM's x-ms-ratelimit-remaining-* headers). */
    default java.util.Map<String, String> rateLimits() {
        return java.util.Map.of();
    }
}
