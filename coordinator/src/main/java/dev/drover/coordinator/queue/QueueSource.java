package dev.drover.coordinator.queue;

import dev.drover.coordinator.scaling.QueuedWork;

/** Where demand comes from: the Tractor engine in production, the built-in queue standalone and in the demo. */
public interface QueueSource {
    QueueView view();

    /** The work behind the counts, for runtime estimates; {@link QueuedWork#NONE} where the source cannot tell. */
    default QueuedWork queuedWork() {
        return QueuedWork.NONE;
    }
}
