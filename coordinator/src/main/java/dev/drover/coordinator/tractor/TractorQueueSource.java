package dev.drover.coordinator.tractor;

import dev.drover.coordinator.queue.QueueSource;
import dev.drover.coordinator.queue.QueueView;
import io.vertx.core.Vertx;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the latest Tractor queue depth per service key. When the engine fails (error, timeout, garbage) the
 * queue becomes <em>unknown</em> at once — the scaler then holds still rather than act on stale numbers — and
 * polling backs off (doubling, capped) until the engine answers again.
 */
public final class TractorQueueSource implements QueueSource {
    private static final Logger LOGGER = LoggerFactory.getLogger(TractorQueueSource.class);
    static final long MAX_BACKOFF_MILLIS = 30_000;

    private final Vertx vertx;
    private final TractorClient client;
    private final long pollMillis;
    private volatile QueueView view = QueueView.unknown("Tractor engine not polled yet");
    private int failures;
    private volatile Runnable onChange = () -> { };
    private volatile boolean stopped;

    private final Map<String, String> licenceLimits;
    private final long limitsPollMillis;
    private volatile Map<String, Integer> licenceCaps = Map.of();

    public TractorQueueSource(Vertx vertx, TractorClient client, long pollMillis) {
        this(vertx, client, pollMillis, Map.of(), 60_000);
    }

    /** @param licenceLimits service key (lower-case) → Tractor limit name whose SiteMax caps its demand */
    public TractorQueueSource(Vertx vertx, TractorClient client, long pollMillis, Map<String, String> licenceLimits,
            long limitsPollMillis) {
        this.vertx = vertx;
        this.client = client;
        this.pollMillis = pollMillis;
        Map<String, String> keys = new java.util.HashMap<>();
        licenceLimits.forEach((k, v) -> keys.put(k.toLowerCase(java.util.Locale.ROOT), v));
        this.licenceLimits = Map.copyOf(keys);
        this.limitsPollMillis = limitsPollMillis;
    }

    /** Reads the limits now and then; until the first answer, and through failures, the last caps stand. */
    private void pollLimits() {
        if (stopped) {
            return;
        }
        client.limits().onComplete(r -> {
            if (r.succeeded()) {
                Map<String, Integer> caps = new java.util.HashMap<>();
                licenceLimits.forEach((key, limit) -> {
                    Integer max = r.result().get(limit);
                    if (max != null) {
                        caps.put(key, max);
                    }
                });
                licenceCaps = Map.copyOf(caps);
            } else {
                LOGGER.atWarn().log("cannot read Tractor's limits; keeping the last known licence caps: "
                        + r.cause().getMessage());
            }
            if (!stopped) {
                vertx.setTimer(limitsPollMillis, t -> pollLimits());
            }
        });
    }

    /** Called (on the poll's thread) whenever the counts change, so scaling can react without waiting a tick. */
    public void onChange(Runnable listener) {
        this.onChange = listener;
    }

    public void start() {
        poll();
        if (!licenceLimits.isEmpty()) {
            pollLimits();
        }
    }

    public void stop() {
        stopped = true;
    }

    @Override
    public QueueView view() {
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
                QueueView before = view;
                view = new QueueView(true, Map.copyOf(r.result()), "", licenceCaps);
                if (!before.known() || !before.counts().equals(view.counts())) {
                    onChange.run();
                }
                next = pollMillis;
            } else {
                failures++;
                next = Math.min(MAX_BACKOFF_MILLIS, pollMillis << Math.min(failures, 10));
                view = new QueueView(false, Map.of(), "Tractor engine unavailable (" + failures + " failure(s)): "
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
