package dev.drover.coordinator.provision;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Per offering (VM size × zone × priority): evictions and allocation failures, and which offerings are
 * backed off. An allocation failure backs the offering off at once; evictions do when {@code evictionsToBackOff}
 * happen within the window ("evicted heavily"). Pure bookkeeping: the caller passes the time.
 */
public final class OfferingHealth {
    private final Duration backoff;
    private final int evictionsToBackOff;
    private final Duration window;
    private final Map<String, ArrayDeque<Instant>> evictions = new HashMap<>();
    private final Map<String, Instant> backedOffUntil = new HashMap<>();
    private final Map<String, String> backoffReason = new HashMap<>();

    public OfferingHealth(Duration backoff, int evictionsToBackOff, Duration window) {
        this.backoff = backoff;
        this.evictionsToBackOff = evictionsToBackOff;
        this.window = window;
    }

    /** Records an eviction; returns true if this one backed the offering off. */
    public synchronized boolean evicted(String offering, Instant at) {
        ArrayDeque<Instant> q = evictions.computeIfAbsent(offering, o -> new ArrayDeque<>());
        q.addLast(at);
        prune(q, at.minus(Duration.ofHours(1)));
        long recent = q.stream().filter(t -> t.isAfter(at.minus(window))).count();
        if (recent >= evictionsToBackOff && !isBackedOff(offering, at)) {
            backOff(offering, at, recent + " eviction(s) in " + window.toMinutes() + " min");
            return true;
        }
        return false;
    }

    public synchronized void allocationFailed(String offering, Instant at, String why) {
        backOff(offering, at, "allocation failed: " + why);
    }

    private void backOff(String offering, Instant at, String why) {
        backedOffUntil.put(offering, at.plus(backoff));
        backoffReason.put(offering, why);
    }

    public synchronized boolean isBackedOff(String offering, Instant now) {
        Instant until = backedOffUntil.get(offering);
        return until != null && until.isAfter(now);
    }

    /** Offerings backed off now and until when. */
    public synchronized Map<String, Instant> backedOff(Instant now) {
        Map<String, Instant> out = new HashMap<>();
        backedOffUntil.forEach((o, until) -> {
            if (until.isAfter(now)) {
                out.put(o, until);
            }
        });
        return out;
    }

    public synchronized String reason(String offering) {
        return backoffReason.getOrDefault(offering, "");
    }

    /** Evictions of this offering in the hour before {@code now}. */
    public synchronized int evictionsLastHour(String offering, Instant now) {
        ArrayDeque<Instant> q = evictions.get(offering);
        if (q == null) {
            return 0;
        }
        prune(q, now.minus(Duration.ofHours(1)));
        return q.size();
    }

    private static void prune(ArrayDeque<Instant> q, Instant before) {
        while (!q.isEmpty() && q.peekFirst().isBefore(before)) {
            q.removeFirst();
        }
    }
}
