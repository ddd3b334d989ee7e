package dev.drover.coordinator.metrics;

import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.queue.QueueView;
import dev.drover.protocol.MessageType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The coordinator's Prometheus metrics ({@code GET /metrics}): nodes by pool and state, queue depth per
 * service key, agent messages by type, how long an event takes from the node to the API (eviction notices,
 * progress), and the JVM. Counters of farm events (evictions, scale actions, drains, requeues) are kept by
 * the timeline, which records each event once.
 */
public final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MultiGauge nodes;
    private final MultiGauge queue;
    private final Map<MessageType, Counter> messages = new EnumMap<>(MessageType.class);
    private final Timer evictionVisible;
    private final Timer progressVisible;
    private final Timer tick;
    private final Counter rateDropped;
    private final Counter rateClosed;
    /** Label values are bounded (issue 16): pools named in the config, and at most this many service keys. */
    static final int MAX_SERVICE_KEYS = 50;
    static final String OTHER = "other";
    private volatile java.util.Set<String> pools = java.util.Set.of();

    public Metrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        nodes = MultiGauge.builder("drover.nodes").description("Nodes by pool and state").register(registry);
        queue = MultiGauge.builder("drover.queue.tasks").description("Tasks ready or active per service key")
                .register(registry);
        for (MessageType t : MessageType.values()) {
            messages.put(t, Counter.builder("drover.agent.messages").description("Messages received from agents")
                    .tag("type", t.name().toLowerCase(java.util.Locale.ROOT)).register(registry));
        }
        evictionVisible = visibleTimer("eviction");
        progressVisible = visibleTimer("progress");
        // how much of each second the head node spends on work over the whole fleet: near 1 s, it is saturated
        tick = Timer.builder("drover.tick").description("The once-a-second tick over the whole fleet: liveness "
                + "sweep, scaling, dispatch, gauges").register(registry);
        rateDropped = rateCounter("dropped");
        rateClosed = rateCounter("closed");
    }

    private Counter rateCounter(String action) {
        return Counter.builder("drover.gateway.rate.limited").description("Agent messages over the per-session "
                + "message-rate limit: progress dropped, or the session closed").tag("action", action)
                .register(registry);
    }

    /** A session went over its message-rate limit: a progress report was dropped, or the session closed. */
    public void rateLimited(boolean dropped) {
        (dropped ? rateDropped : rateClosed).increment();
    }

    private Timer visibleTimer(String event) {
        return Timer.builder("drover.event.visible").description("From the agent observing an event to the "
                + "coordinator's API showing it").tag("event", event).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The configured pools; nodes reporting any other pool are counted under {@code pool="other"}. */
    public void knownPools(java.util.Collection<String> names) {
        pools = java.util.Set.copyOf(names);
    }

    public void message(MessageType type) {
        messages.get(type).increment();
    }

    /** @param observedAtMillis when the agent saw it (its wall clock; clocks on a farm are NTP-synced) */
    public void evictionVisible(long observedAtMillis) {
        evictionVisible.record(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - observedAtMillis)));
    }

    public void tick(long nanos) {
        tick.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public void progressVisible(long atMillis) {
        progressVisible.record(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - atMillis)));
    }

    /** Refreshes the gauges from the fleet and the queue (once a second). */
    public void update(List<NodeSnapshot> fleet, QueueView view) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (NodeSnapshot n : fleet) {
            String pool = n.identity() != null ? n.identity().pool() : "";
            pool = pool.isEmpty() || pools.contains(pool) ? pool : OTHER; // an agent cannot mint label values
            counts.merge(List.of(pool, n.state().name().toLowerCase(java.util.Locale.ROOT)), 1, Integer::sum);
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        // every state of every pool seen, zeros included, so a state emptying shows 0 rather than vanishing
        counts.keySet().stream().map(k -> k.get(0)).distinct().forEach(pool -> {
            for (NodeState s : NodeState.values()) {
                String state = s.name().toLowerCase(java.util.Locale.ROOT);
                rows.add(MultiGauge.Row.of(Tags.of("pool", pool, "state", state),
                        counts.getOrDefault(List.of(pool, state), 0)));
            }
        });
        nodes.register(rows, true);
        List<MultiGauge.Row<?>> q = new ArrayList<>();
        // the busiest keys by name; past MAX_SERVICE_KEYS the rest are summed under "other"
        Map<String, int[]> keys = new java.util.TreeMap<>();
        view.counts().entrySet().stream()
                .sorted((a, b) -> Integer.compare(b.getValue().ready() + b.getValue().active(),
                        a.getValue().ready() + a.getValue().active()))
                .forEachOrdered(e -> {
                    String key = keys.size() < MAX_SERVICE_KEYS || keys.containsKey(e.getKey()) ? e.getKey() : OTHER;
                    int[] c = keys.computeIfAbsent(key, k -> new int[2]);
                    c[0] += e.getValue().ready();
                    c[1] += e.getValue().active();
                });
        keys.forEach((key, c) -> {
            q.add(MultiGauge.Row.of(Tags.of("service_key", key, "state", "ready"), c[0]));
            q.add(MultiGauge.Row.of(Tags.of("service_key", key, "state", "active"), c[1]));
        });
        queue.register(q, true);
    }

    public String scrape() {
        return registry.scrape();
    }
}
