package dev.drover.coordinator.tractor;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the engine must still be told about each node's blade, as reconciliation until done (issue 13): NIMBY,
 * {@code ejectall} and {@code delist} are separate pending actions, each retried with capped exponential backoff
 * until the engine confirms it, and never sent again once confirmed. Pure: the caller says what was wanted,
 * attempted and answered, and asks what is due at an instant.
 *
 * <p>Order without dependence: when both are due NIMBY goes first and {@code ejectall} waits only while NIMBY is
 * in flight, so a refused NIMBY never holds up the eject. An eject confirmed before NIMBY was is not trusted (the
 * engine may have handed the blade new work in between), so it is due once more after NIMBY is confirmed.
 * {@code delist} waits for the eject (an engine that forgot the blade can no longer requeue its tasks).
 */
public final class BladeWork {
    /** One control call about a blade (specs/tractor-and-cyclecloud.md §1.4). */
    public enum Action { NIMBY, EJECT, DELIST }

    private enum Status { WANTED, IN_FLIGHT, DONE }

    private static final class Pending {
        Status status = Status.WANTED;
        int failures;
        Instant notBefore = Instant.EPOCH;
        boolean afterNimby;
        String lastError = "";
    }

    private static final class Blade {
        final Map<Action, Pending> actions = new EnumMap<>(Action.class);
        Instant changed;
    }

    private final Duration firstRetry;
    private final Duration maxRetry;
    private final Map<String, Blade> blades = new LinkedHashMap<>();

    public BladeWork(Duration firstRetry, Duration maxRetry) {
        this.firstRetry = firstRetry;
        this.maxRetry = maxRetry;
    }

    /** A call due now: which node's blade, and what. */
    public record Due(String nodeId, Action action) {
    }

    /** Asks for an action; a no-op if it is pending or already confirmed. */
    public synchronized void want(String nodeId, Action action, Instant now) {
        Blade b = blades.computeIfAbsent(nodeId, id -> new Blade());
        b.changed = now;
        b.actions.putIfAbsent(action, new Pending());
    }

    /** Calls due at {@code now}, marked in flight; the caller reports each outcome. */
    public synchronized List<Due> due(Instant now) {
        List<Due> due = new ArrayList<>();
        blades.forEach((nodeId, b) -> {
            for (Action a : Action.values()) {
                Pending p = b.actions.get(a);
                if (p == null || p.status != Status.WANTED || p.notBefore.isAfter(now) || blocked(b, a)) {
                    continue;
                }
                p.status = Status.IN_FLIGHT;
                p.afterNimby = a == Action.EJECT && confirmed(b, Action.NIMBY);
                due.add(new Due(nodeId, a));
            }
        });
        return due;
    }

    private static boolean blocked(Blade b, Action a) {
        if (a == Action.EJECT) {
            Pending nimby = b.actions.get(Action.NIMBY);
            return nimby != null && nimby.status == Status.IN_FLIGHT;
        }
        if (a == Action.DELIST) {
            Pending eject = b.actions.get(Action.EJECT);
            Pending nimby = b.actions.get(Action.NIMBY);
            return eject != null && eject.status != Status.DONE || nimby != null && nimby.status == Status.IN_FLIGHT;
        }
        return false;
    }

    private static boolean confirmed(Blade b, Action a) {
        Pending p = b.actions.get(a);
        return p != null && p.status == Status.DONE;
    }

    public synchronized void succeeded(String nodeId, Action action, Instant now) {
        Blade b = blades.get(nodeId);
        Pending p = b == null ? null : b.actions.get(action);
        if (p == null) {
            return;
        }
        p.status = Status.DONE;
        p.failures = 0;
        b.changed = now;
        Pending eject = b.actions.get(Action.EJECT);
        if (action == Action.NIMBY && eject != null && eject.status == Status.DONE && !eject.afterNimby) {
            eject.status = Status.WANTED; // confirmed before NIMBY: the blade may have taken work since
            eject.notBefore = now;
        }
    }

    public synchronized void failed(String nodeId, Action action, Instant now, String error) {
        Blade b = blades.get(nodeId);
        Pending p = b == null ? null : b.actions.get(action);
        if (p == null) {
            return;
        }
        p.status = Status.WANTED;
        p.failures++;
        p.lastError = error;
        long delay = firstRetry.toMillis() << Math.min(p.failures - 1, 20);
        p.notBefore = now.plusMillis(Math.min(maxRetry.toMillis(), delay));
    }

    /** The engine answered something: whatever waits out a backoff is due at once (reconnect after an outage). */
    public synchronized void engineAnswered(Instant now) {
        for (Blade b : blades.values()) {
            for (Pending p : b.actions.values()) {
                if (p.status == Status.WANTED && p.failures > 0 && p.notBefore.isAfter(now)) {
                    p.notBefore = now;
                }
            }
        }
    }

    /** Whether the action was confirmed by the engine. */
    public synchronized boolean done(String nodeId, Action action) {
        Blade b = blades.get(nodeId);
        return b != null && confirmed(b, action);
    }

    /** Actions not yet confirmed, with the last error, for the API and logs: "node: NIMBY (3 failures: ...)". */
    public synchronized List<String> outstanding() {
        List<String> out = new ArrayList<>();
        blades.forEach((nodeId, b) -> b.actions.forEach((a, p) -> {
            if (p.status != Status.DONE) {
                out.add(nodeId + ": " + a + (p.failures > 0 ? " (" + p.failures + " failure(s): " + p.lastError + ")"
                        : ""));
            }
        }));
        return out;
    }

    /** Forgets nodes whose every action was confirmed before {@code cutoff} (bounded memory). */
    public synchronized void forgetDoneBefore(Instant cutoff) {
        blades.values().removeIf(b -> b.changed.isBefore(cutoff)
                && b.actions.values().stream().allMatch(p -> p.status == Status.DONE));
    }
}
