package dev.drover.coordinator.timeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the farm did and why, newest last: scale actions, evictions, drains, deletes, requeues. The dashboard's
 * event timeline reads it, the log gets every entry, and each kind counts into its Prometheus counter, so an
 * event is recorded in exactly one place. Bounded: the oldest entries fall off.
 */
public final class Timeline {
    private static final Logger LOGGER = LoggerFactory.getLogger(Timeline.class);
    public static final int CAPACITY = 2000;

    /** Kinds of event and the counter each one increments. */
    public enum Kind {
        SCALE("drover.scale.actions"),
        EVICTION("drover.evictions"),
        DRAIN("drover.drains"),
        DELETE("drover.instance.deletes"),
        REQUEUE("drover.requeues"),
        NODE("drover.node.events"),
        JOB("drover.job.events");

        private final String meter;

        Kind(String meter) {
            this.meter = meter;
        }

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One entry; {@code pool} and {@code node} are empty when not about one. */
    public record Event(long seq, Instant at, Kind kind, String pool, String node, String message) {
    }

    private final Clock clock;
    private final MeterRegistry meters;
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private long seq;
    /** Pools that get a counter label of their own; any other (an agent's own claim) counts as "other". */
    private volatile java.util.Set<String> labelled;

    public Timeline(Clock clock, MeterRegistry meters) {
        this.clock = clock;
        this.meters = meters;
    }

    /** Creates every counter at zero for these pools, so /metrics shows each family before its first event. */
    public void preRegister(java.util.Collection<String> pools) {
        labelled = java.util.Set.copyOf(pools);
        for (Kind kind : Kind.values()) {
            Counter.builder(kind.meter).tag("pool", "").register(meters);
            pools.forEach(p -> Counter.builder(kind.meter).tag("pool", p).register(meters));
        }
    }

    public Event record(Kind kind, String pool, String node, String message) {
        Event e;
        synchronized (this) {
            e = new Event(++seq, clock.instant(), kind, pool == null ? "" : pool, node == null ? "" : node, message);
            if (events.size() == CAPACITY) {
                events.removeFirst();
            }
            events.addLast(e);
        }
        java.util.Set<String> known = labelled;
        String label = known == null || e.pool().isEmpty() || known.contains(e.pool()) ? e.pool() : "other";
        Counter.builder(kind.meter).tag("pool", label).register(meters).increment();
        LOGGER.atInfo().addKeyValue("kind", kind.label()).addKeyValue("pool", e.pool()).addKeyValue("nodeId", e.node())
                .log(message);
        return e;
    }

    /** Entries after {@code afterSeq}, oldest first, at most {@code limit} (the newest ones if more). */
    public synchronized List<Event> since(long afterSeq, int limit) {
        List<Event> out = new ArrayList<>();
        for (Event e : events) {
            if (e.seq() > afterSeq) {
                out.add(e);
            }
        }
        return out.size() <= limit ? out : List.copyOf(out.subList(out.size() - limit, out.size()));
    }

    /** How many events of this kind since start (all pools), from the counters: the buffer forgets, they do not. */
    public long total(Kind kind) {
        return (long) meters.find(kind.meter).counters().stream().mapToDouble(Counter::count).sum();
    }
}
