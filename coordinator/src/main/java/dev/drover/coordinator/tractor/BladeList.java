package dev.drover.coordinator.tractor;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * The engine's blade list ({@code monitor?q=blades}, §1.3), read at most as often as callers need it: everyone
 * (queue demand, blade matching, the idle check before a drained VM is deleted) asks for a list no older than
 * some age and shares one request. Blade lists change slowly (the engine's own Dashboard refreshes them every
 * 60 s, §2.8), so this is what keeps Drover's engine load near one request a second.
 */
public final class BladeList {
    /** A list as read, whether the engine cut it short ({@code recordlimit.truncated}), and when. */
    public record Snapshot(List<BladeInfo> blades, boolean truncated, Instant at) {
    }

    private final TractorClient client;
    private final Clock clock;
    private Snapshot last;
    private Future<Snapshot> inFlight;
    private Instant inFlightSince;

    public BladeList(TractorClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** A list read no earlier than {@code maxAgeMillis} ago (a request only if the last one is older). */
    public Future<Snapshot> get(long maxAgeMillis) {
        return readAfter(clock.instant().minusMillis(maxAgeMillis));
    }

    /** A list whose request was sent after {@code since} — e.g. after a blade was NIMBY'd. */
    public synchronized Future<Snapshot> readAfter(Instant since) {
        if (last != null && !last.at().isBefore(since)) {
            return Future.succeededFuture(last);
        }
        if (inFlight != null && !inFlightSince.isBefore(since)) {
            return inFlight;
        }
        Instant sent = clock.instant();
        Promise<Snapshot> p = Promise.promise();
        inFlight = p.future();
        inFlightSince = sent;
        client.blades().onComplete(r -> {
            synchronized (BladeList.this) {
                if (r.succeeded()) {
                    Snapshot s = new Snapshot(r.result().blades(), r.result().truncated(), sent);
                    if (last == null || !last.at().isAfter(sent)) {
                        last = s;
                    }
                }
                if (inFlight == p.future()) {
                    inFlight = null;
                }
            }
            if (r.succeeded()) {
                p.complete(new Snapshot(r.result().blades(), r.result().truncated(), sent));
            } else {
                p.fail(r.cause());
            }
        });
        return p.future();
    }

    /** The last list read, or null. */
    public synchronized Snapshot last() {
        return last;
    }
}
