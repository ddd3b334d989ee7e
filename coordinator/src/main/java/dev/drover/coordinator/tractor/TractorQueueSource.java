package dev.drover.coordinator.tractor;

import io.vertx.core.Vertx;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the latest Tractor queue depth per service key. When the engine fails (error, timeout, garbage) the
 * queue becomes <em>unknown</em> at once — the scaler then holds still rather than act on stale numbers — and
 * polling backs off (doubling, capped) until the engine answers again.
 */
public final class TractorQueueSource {
    private static final Logger LOGGER = LoggerFactory.getLogger(TractorQueueSource.class);
    static final long MAX_BACKOFF_MILLIS = 30_000;

    /** What the scaler reads: the counts, or why they are unknown. */
    public record View(boolean known, Map<String, TractorClient.Counts> counts, String reason) {
    }

    private final Vertx vertx;
    private final TractorClient client;
    private final long pollMillis;
    private volatile View view = new View(false, Map.of(), "not polled yet");
    private int failures;
    private volatile boolean stopped;

    public TractorQueueSource(Vertx vertx, TractorClient client, long pollMillis) {
        this.vertx = vertx;
        this.client = client;
        this.pollMillis = pollMillis;
    }

    public void start() {
        poll();
    }

    public void stop() {
        stopped = true;
    }

    public View view() {
        return view;
    }

    private void poll() {
        if (stopped) {
            return;
        }
        client.queue().onComplete(r -> {
            long next;
            if (r.succeeded()) {
                if (failures > 0) {
                    LOGGER.atInfo().addKeyValue("failures", failures).log("Tractor engine answering again");
                }
                failures = 0;
                view = new View(true, Map.copyOf(r.result()), "");
                next = pollMillis;
            } else {
                failures++;
                next = Math.min(MAX_BACKOFF_MILLIS, pollMillis << Math.min(failures, 10));
                view = new View(false, Map.of(), "Tractor engine unavailable (" + failures + " failure(s)): "
                        + r.cause().getMessage());
                (failures == 1 ? LOGGER.atWarn() : LOGGER.atDebug()).addKeyValue("retryMillis", next)
                        .log("queue unknown: " + r.cause().getMessage());
            }
            if (!stopped) {
                vertx.setTimer(next, t -> poll());
            }
        });
    }
}
