package dev.drover.coordinator.queue;

/** Where demand comes from: the Tractor engine in production, the built-in queue standalone and in the demo. */
public interface QueueSource {
    QueueView view();
}
