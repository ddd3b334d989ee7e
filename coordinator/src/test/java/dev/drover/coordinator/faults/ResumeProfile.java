package dev.drover.coordinator.faults;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a simulated agent's resume time goes after a coordinator restart, from the agent's own clock: the wait
 * until the connection attempt that succeeded (its backoff), the TCP connect, and the coordinator's answer
 * (TCP established to Welcome: accept queue, admission, Hello handling, the node's write to the store). Also
 * the attempts that failed after the coordinator was up, and how many Welcomes came in each second.
 */
final class ResumeProfile {
    final List<Long> attemptAfterUp = new ArrayList<>();
    final List<Long> connect = new ArrayList<>();
    final List<Long> helloToWelcome = new ArrayList<>();
    final List<Long> failedAttemptsAfterUp = new ArrayList<>();
    final int[] welcomesPerSecond = new int[30];

    static ResumeProfile of(List<SimAgent> agents, long crashAt, long upAt) {
        ResumeProfile p = new ResumeProfile();
        for (SimAgent a : agents) {
            synchronized (a) {
                Long welcome = a.welcomeAtMillis.stream().filter(w -> w > crashAt).findFirst().orElse(null);
                if (welcome == null) {
                    continue;
                }
                long active = lastAtOrBefore(a.activeAtMillis, welcome);
                long attempt = lastAtOrBefore(a.attemptAtMillis, active);
                p.attemptAfterUp.add(attempt - upAt);
                p.connect.add(active - attempt);
                p.helloToWelcome.add(welcome - active);
                p.failedAttemptsAfterUp.add(a.attemptAtMillis.stream().filter(t -> t >= upAt && t < attempt).count());
                int second = (int) ((welcome - upAt) / 1000);
                if (second >= 0 && second < p.welcomesPerSecond.length) {
                    p.welcomesPerSecond[second]++;
                }
            }
        }
        p.attemptAfterUp.sort(null);
        p.connect.sort(null);
        p.helloToWelcome.sort(null);
        p.failedAttemptsAfterUp.sort(null);
        return p;
    }

    private static long lastAtOrBefore(List<Long> times, long limit) {
        long found = Long.MIN_VALUE;
        for (long t : times) {
            if (t <= limit) {
                found = Math.max(found, t);
            }
        }
        return found == Long.MIN_VALUE ? limit : found;
    }

    /** p50/p95/max of a sorted list. */
    static String spread(List<Long> sorted) {
        if (sorted.isEmpty()) {
            return "-";
        }
        return pct(sorted, 50) + "/" + pct(sorted, 95) + "/" + sorted.get(sorted.size() - 1);
    }

    static long pct(List<Long> sorted, int p) {
        return sorted.isEmpty() ? -1 : sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
    }

    void into(Figures f) {
        f.put("profile.attemptAfterUpMs(p50/p95/max)", spread(attemptAfterUp))
                .put("profile.connectMs", spread(connect))
                .put("profile.helloToWelcomeMs", spread(helloToWelcome))
                .put("profile.failedAttemptsAfterUp", spread(failedAttemptsAfterUp))
                .put("profile.simsWithFailedAttemptsAfterUp", failedAttemptsAfterUp.stream().filter(n -> n > 0).count())
                .put("profile.welcomesPerSecond", java.util.Arrays.toString(welcomesPerSecond));
    }
}
