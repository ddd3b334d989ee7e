package dev.drover.coordinator.tractor;

import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.queue.QueueSource;
import dev.drover.coordinator.queue.QueueView;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the latest Tractor queue depth per service-key expression, read as one row per live job (never one per
 * task) about once a second whatever the queue size, plus the tasks active on Drover's own blades per pool.
 * When the engine fails (error, timeout, garbage) the queue becomes <em>unknown</em> at once — the scaler then holds still rather than act on stale numbers — and
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
    private final TractorBlades blades;
    private final BladeList bladeList;
    private final java.util.function.Supplier<List<NodeSnapshot>> nodes;
    private final long bladeMaxAgeMillis;
    private volatile Map<String, Integer> lastOwnActive = Map.of();

    public TractorQueueSource(Vertx vertx, TractorClient client, long pollMillis) {
        this(vertx, client, pollMillis, Map.of(), 60_000, null, null, List::of, 0);
    }

    /**
     * @param licenceLimits service key (lower-case) → Tractor limit name whose SiteMax caps its demand
     * @param blades with {@code bladeList} and {@code nodes}, counts tasks active on Drover's own live blades per
     *     pool (null: no per-pool active counts, e.g. without pools)
     * @param bladeMaxAgeMillis how often the blade list is read for those counts
     */
    public TractorQueueSource(Vertx vertx, TractorClient client, long pollMillis, Map<String, String> licenceLimits,
            long limitsPollMillis, TractorBlades blades, BladeList bladeList,
            java.util.function.Supplier<List<NodeSnapshot>> nodes, long bladeMaxAgeMillis) {
        this.vertx = vertx;
        this.client = client;
        this.pollMillis = pollMillis;
        this.blades = blades;
        this.bladeList = bladeList;
        this.nodes = nodes;
        this.bladeMaxAgeMillis = bladeMaxAgeMillis;
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
        long started = System.nanoTime();
        client.jobs().compose(jobs -> ownActive().map(own -> view(jobs, own))).onComplete(r -> {
            long next;
            if (r.succeeded()) {
                if (failures > 0) {
                    LOGGER.atInfo().addKeyValue("failures", failures).log("Tractor engine answering again");
                }
                failures = 0;
                QueueView before = view;
                view = r.result();
                if (!before.known() || !before.counts().equals(view.counts())
                        || !java.util.Objects.equals(before.ownActiveByPool(), view.ownActiveByPool())) {
                    onChange.run();
                }
                // one queue read a second whatever the queue size: a read that took several pages waits longer
                long tookMillis = (System.nanoTime() - started) / 1_000_000;
                next = Math.max(10, lastPages * pollMillis - tookMillis);
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

    private volatile int lastPages = 1;

    /**
     * Tasks active on each pool's live blades, from the last blade list read; a due re-read runs beside the queue
     * read rather than in front of it (so the queue is never later for it), and the next poll uses it.
     */
    private io.vertx.core.Future<Map<String, Integer>> ownActive() {
        if (blades == null) {
            return io.vertx.core.Future.succeededFuture(Map.of());
        }
        io.vertx.core.Future<BladeList.Snapshot> read = bladeList.get(bladeMaxAgeMillis);
        if (read.isComplete()) {
            if (read.succeeded()) {
                lastOwnActive = blades.activeByPool(read.result().blades(), nodes.get());
            }
        } else {
            read.onSuccess(s -> lastOwnActive = blades.activeByPool(s.blades(), nodes.get()));
        }
        return io.vertx.core.Future.succeededFuture(lastOwnActive);
    }

    /**
     * Ready tasks per service-key expression (lower-case: keys match case-insensitively, §1.5) and farm-wide
     * active tasks per expression for display; jobs with no ready or active task never come back from the engine.
     */
    private QueueView view(java.util.List<JobCounts> jobs, Map<String, Integer> own) {
        lastPages = jobs.size() / TractorClient.JOB_PAGE + 1; // requests of the read: the last page is never full
        Map<String, QueueView.Counts> counts = new java.util.HashMap<>();
        for (JobCounts j : jobs) {
            String key = j.service().toLowerCase(java.util.Locale.ROOT).trim();
            counts.merge(key, new QueueView.Counts(j.ready(), j.active()), QueueView.Counts::plus);
        }
        for (String key : counts.keySet()) {
            if (!key.isEmpty() && warnedExpressions.size() < 1000 && !parses(key) && warnedExpressions.add(key)) {
                LOGGER.atWarn().addKeyValue("service", key).log("a job's service-key expression does not parse; no "
                        + "pool is asked to serve it");
            }
        }
        return new QueueView(true, counts, "", licenceCaps, own);
    }

    private final java.util.Set<String> warnedExpressions = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static boolean parses(String expression) {
        try {
            ServiceKeyExpression.parse(expression);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
