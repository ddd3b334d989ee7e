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
 * <p>Order without dependence: every {@code ejectall} try is preceded by a NIMBY try (while NIMBY is unconfirmed)
 * and waits only until that try is over, so a NIMBY the engine refuses never holds up the eject (while the engine
 * does not answer at all, both wait and NIMBY goes first when it is back). An eject confirmed before NIMBY was is
 * not trusted (the engine may have handed the blade new work in between), so it is due once more after NIMBY is
 * confirmed. {@code delist} comes last, after the eject and NIMBY (an engine that forgot the blade can no longer act
 * on it). A node back in service gets an un-NIMBY, retried like the rest (one lost answer would otherwise leave a
 * Ready node that Tractor never gives work); it goes after any NIMBY already on its way and yields to anything asked
 * for the node after it. Kept in memory: an un-NIMBY a coordinator crash cuts short is not asked again (a NIMBY the
 * engine shows cannot be told from an operator's).
 */
public final class BladeWork {
    /**
     * One control call about a blade (specs/tractor-and-cyclecloud.md §1.4). {@code UNNIMBY} gives a blade back its
     * work when its node is back in service; it yields to anything else asked for the node afterwards.
     */
    public enum Action { NIMBY, EJECT, DELIST, UNNIMBY }

    private enum Status { WANTED, IN_FLIGHT, DONE }

    private static final class Pending {
        Status status = Status.WANTED;
        int failures;
        Instant notBefore = Instant.EPOCH;
        boolean afterNimby;
        boolean nimbyFirst = true;
        boolean unreachable;
        String lastError = "";
        Instant confirmedAt;
        /** In flight when the node came back in service: its outcome is dropped, unless it is wanted again. */
        boolean withdrawn;
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

    /**
     * Asks for an action; a no-op if it is pending or already confirmed. Returns true if that dropped an un-NIMBY
     * not yet on its way (the node is leaving again), whose waiters the caller answers.
     */
    public synchronized boolean want(String nodeId, Action action, Instant now) {
        Blade b = blades.computeIfAbsent(nodeId, id -> new Blade());
        b.changed = now;
        Pending unnimby = b.actions.get(Action.UNNIMBY);
        boolean dropped = action != Action.UNNIMBY && unnimby != null && unnimby.status != Status.IN_FLIGHT;
        if (dropped) {
            b.actions.remove(Action.UNNIMBY); // a new episode: the node is no longer back in service
        }
        Pending p = b.actions.putIfAbsent(action, new Pending());
        if (p != null) {
            p.withdrawn = false;
        }
        return dropped && unnimby.status == Status.WANTED;
    }

    /** Whether anything is kept for the node. */
    public synchronized boolean knows(String nodeId) {
        return blades.containsKey(nodeId);
    }

    /** Calls due at {@code now}, marked in flight; the caller reports each outcome. */
    public synchronized List<Due> due(Instant now) {
        List<Due> due = new ArrayList<>();
        blades.forEach((nodeId, b) -> {
            Pending eject = b.actions.get(Action.EJECT);
            Pending nimby = b.actions.get(Action.NIMBY);
            if (eject != null && eject.status == Status.WANTED && !eject.notBefore.isAfter(now) && eject.nimbyFirst
                    && nimby != null && nimby.status == Status.WANTED) {
                nimby.notBefore = now; // each eject try is preceded by a NIMBY try, so the eject is not wasted
            }
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
        Pending unnimby = b.actions.get(Action.UNNIMBY);
        if (a != Action.UNNIMBY && unnimby != null && unnimby.status == Status.IN_FLIGHT) {
            return true; // whatever comes after an un-NIMBY must reach the engine after it
        }
        if (a == Action.UNNIMBY) {
            // ...and an un-NIMBY after whatever was already on its way (a late NIMBY would undo it)
            return b.actions.values().stream().anyMatch(p -> p.status == Status.IN_FLIGHT);
        }
        if (a == Action.EJECT) {
            Pending nimby = b.actions.get(Action.NIMBY);
            return nimby != null && (nimby.status == Status.IN_FLIGHT
                    || nimby.status == Status.WANTED && b.actions.get(Action.EJECT).nimbyFirst);
        }
        if (a == Action.DELIST) {
            Pending eject = b.actions.get(Action.EJECT);
            Pending nimby = b.actions.get(Action.NIMBY);
            return eject != null && eject.status != Status.DONE || nimby != null && nimby.status != Status.DONE;
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
        if (p.withdrawn || action == Action.UNNIMBY && b.actions.size() > 1) {
            b.actions.remove(action); // withdrawn, or an un-NIMBY overtaken by what was asked since
            return;
        }
        p.status = Status.DONE;
        p.failures = 0;
        p.confirmedAt = now;
        b.changed = now;
        Pending eject = b.actions.get(Action.EJECT);
        if (action == Action.NIMBY && eject != null) {
            if (eject.status == Status.WANTED && eject.nimbyFirst) {
                eject.notBefore = now; // it was only waiting for this NIMBY
            }
            eject.nimbyFirst = false;
        }
        if (action == Action.NIMBY && eject != null && eject.status == Status.DONE && !eject.afterNimby) {
            eject.status = Status.WANTED; // confirmed before NIMBY: the blade may have taken work since
            eject.notBefore = now;
        }
    }

    /** @param unreachable no answer at all (refused, timed out): retried at once when the engine answers again */
    public synchronized void failed(String nodeId, Action action, Instant now, String error, boolean unreachable) {
        Blade b = blades.get(nodeId);
        Pending p = b == null ? null : b.actions.get(action);
        if (p == null) {
            return;
        }
        if (p.withdrawn || action == Action.UNNIMBY && b.actions.size() > 1) {
            b.actions.remove(action); // withdrawn, or an un-NIMBY overtaken by what was asked since: not retried
            return;
        }
        p.status = Status.WANTED;
        p.failures++;
        p.lastError = error;
        p.unreachable = unreachable;
        Pending eject = b.actions.get(Action.EJECT);
        if (eject != null) {
            // a NIMBY the engine refused lets the eject go; unanswered, or an eject failed: NIMBY first next time
            eject.nimbyFirst = action == Action.EJECT || unreachable;
        }
        long delay = firstRetry.toMillis() << Math.min(p.failures - 1, 20);
        p.notBefore = now.plusMillis(Math.min(maxRetry.toMillis(), delay));
        if (action == Action.NIMBY && eject != null && eject.status == Status.WANTED && eject.nimbyFirst
                && eject.notBefore.isBefore(p.notBefore)) {
            // the eject waits for this NIMBY: it backs off with it, or being due it would pull the NIMBY
            // forward on every pump (an engine down for 30 s got a NIMBY try every 100 ms)
            eject.notBefore = p.notBefore;
        }
    }

    /**
     * The engine answered something: whatever failed for want of any answer is due at once (reconnect after an
     * outage); a refusal keeps its backoff.
     */
    public synchronized void engineAnswered(Instant now) {
        for (Blade b : blades.values()) {
            for (Pending p : b.actions.values()) {
                if (p.status == Status.WANTED && p.unreachable && p.notBefore.isAfter(now)) {
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

    /** When the engine confirmed the action, if it has (and it was not withdrawn since). */
    public synchronized java.util.Optional<Instant> confirmedAt(String nodeId, Action action) {
        Blade b = blades.get(nodeId);
        Pending p = b == null ? null : b.actions.get(action);
        return p != null && p.status == Status.DONE ? java.util.Optional.of(p.confirmedAt)
                : java.util.Optional.empty();
    }

    /** Actions not yet confirmed, with the last error, for the API and logs: "node: NIMBY (3 failures: ...)". */
    public synchronized List<String> outstanding() {
        List<String> out = new ArrayList<>();
        blades.forEach((nodeId, b) -> b.actions.forEach((a, p) -> {
            if (p.status != Status.DONE && !p.withdrawn) {
                out.add(nodeId + ": " + a + (p.failures > 0 ? " (" + p.failures + " failure(s): " + p.lastError + ")"
                        : ""));
            }
        }));
        return out;
    }

    /**
     * The node is back in service (a lost agent reconnected, an eviction was cancelled): its NIMBY and eject
     * are history, so the next episode asks afresh instead of finding them confirmed, and an un-NIMBY is pending
     * until the engine confirms it. Nothing changes for a node whose blade is being delisted (its VM is gone), nor
     * for one whose blade Drover did not NIMBY (a NIMBY there is an operator's).
     *
     * @return the actions withdrawn while not yet confirmed, or null if there is nothing to lift
     */
    public synchronized List<Action> backInService(String nodeId, Instant now) {
        Blade b = blades.get(nodeId);
        List<Action> open = new ArrayList<>();
        if (b == null || b.actions.containsKey(Action.DELIST) || !b.actions.containsKey(Action.NIMBY)) {
            return null;
        }
        b.actions.forEach((a, p) -> {
            if (p.status != Status.DONE && a != Action.UNNIMBY) {
                open.add(a);
            }
        });
        // an action on its way is kept, marked, so the un-NIMBY waits for it; the rest are forgotten
        b.actions.entrySet().removeIf(e -> e.getValue().status == Status.DONE
                || e.getKey() != Action.UNNIMBY && e.getValue().status == Status.WANTED);
        b.actions.forEach((a, p) -> p.withdrawn = a != Action.UNNIMBY);
        want(nodeId, Action.UNNIMBY, now);
        return open;
    }

    /** Forgets nodes whose every action was confirmed before {@code cutoff} (bounded memory). */
    public synchronized void forgetDoneBefore(Instant cutoff) {
        blades.values().removeIf(b -> b.changed.isBefore(cutoff)
                && b.actions.values().stream().allMatch(p -> p.status == Status.DONE));
    }
}
