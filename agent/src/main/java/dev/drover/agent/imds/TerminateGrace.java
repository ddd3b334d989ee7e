package dev.drover.agent.imds;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Whether a Terminate with time to spare (Regular VMs get 5–15 min of notice, specs/azure.md §1.2) may let the
 * tasks running here finish, or whether they must be requeued now as on a Preempt. They may finish only when
 * every one of them has an ETA that ends, with the safety margin, before the event's NotBefore; a task with
 * no ETA (no progress yet, no renderer estimate) does not fit. Asked again at every poll while the tasks run,
 * so an ETA that slips past the margin falls back to a requeue well before NotBefore. Pure: facts and a clock
 * reading in, a decision with its reason out.
 */
public final class TerminateGrace {
    /** Default safety margin between the last task's expected end and NotBefore. */
    public static final Duration DEFAULT_MARGIN = Duration.ofSeconds(30);

    private TerminateGrace() {
    }

    /**
     * @param letFinish true: the running tasks finish, the node takes no new work
     * @param finishBy when {@code letFinish}, NotBefore less the margin: the latest end the tasks may have
     */
    public record Decision(boolean letFinish, Optional<Instant> finishBy, String reason) {
        static Decision requeue(String reason) {
            return new Decision(false, Optional.empty(), reason);
        }
    }

    /**
     * @param notBefore the event's NotBefore; empty once it has started
     * @param running how many tasks run here (launched tasks that drover-run has not reported yet count too)
     * @param timings what drover-run reported of the running tasks
     */
    public static Decision decide(Optional<Instant> notBefore, Instant now, int running, List<TaskTiming> timings,
            Duration margin) {
        if (running == 0) {
            return Decision.requeue("nothing running");
        }
        if (notBefore.isEmpty()) {
            return Decision.requeue("the event has started (no NotBefore)");
        }
        if (timings.size() < running) {
            return Decision.requeue((running - timings.size()) + " task(s) not reported by drover-run yet, so no ETA");
        }
        Instant finishBy = notBefore.get().minus(margin);
        Duration budget = Duration.between(now, finishBy);
        Duration longest = Duration.ZERO;
        for (TaskTiming t : timings) {
            Optional<Duration> left = remaining(t, now);
            if (left.isEmpty()) {
                return Decision.requeue("task " + t.task() + " has no ETA (no progress reported)");
            }
            longest = left.get().compareTo(longest) > 0 ? left.get() : longest;
        }
        if (longest.compareTo(budget) > 0) {
            return Decision.requeue("ETA " + longest.toSeconds() + " s does not fit in the " + Math.max(0,
                    budget.toSeconds()) + " s left before NotBefore less the " + margin.toSeconds() + " s margin");
        }
        return new Decision(true, Optional.of(finishBy), "ETA " + longest.toSeconds() + " s fits in the "
                + budget.toSeconds() + " s left before NotBefore less the " + margin.toSeconds() + " s margin");
    }

    /**
     * Time the task still needs, the more pessimistic of two estimates: its progress rate so far
     * (percent over the time since it started, measured up to now, so a stalled task's ETA grows), and the
     * renderer's own ETA less the time since it was reported. Empty when neither exists.
     */
    static Optional<Duration> remaining(TaskTiming t, Instant now) {
        if (t.percent() >= 100) {
            return Optional.of(Duration.ZERO);
        }
        Optional<Duration> estimate = Optional.empty();
        if (t.percent() > 0) {
            long elapsedMillis = Math.max(0, Duration.between(t.startedAt(), now).toMillis());
            long byRate = Math.round(elapsedMillis * (100 - t.percent()) / t.percent());
            estimate = Optional.of(Duration.ofMillis(byRate));
        }
        if (t.etaSeconds() >= 0) {
            Duration since = Duration.between(t.progressAt(), now);
            Duration left = Duration.ofSeconds(t.etaSeconds()).minus(since.isNegative() ? Duration.ZERO : since);
            Duration byRenderer = left.isNegative() ? Duration.ZERO : left;
            estimate = Optional.of(estimate.filter(e -> e.compareTo(byRenderer) >= 0).orElse(byRenderer));
        }
        return estimate;
    }
}
