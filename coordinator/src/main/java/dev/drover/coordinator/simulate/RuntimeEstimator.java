package dev.drover.coordinator.simulate;

import java.util.HashMap;
import java.util.Map;

/**
 * What a coordinator can know of a task's runtime before it runs: the mean of its job's finished tasks, else the
 * mean of recently finished tasks of its service key, else nothing (NaN). Never the trace's true runtime.
 */
public final class RuntimeEstimator {
    private static final double KEY_WEIGHT = 0.2; // moving average over roughly the last 5 tasks of a key
    private final Map<String, double[]> byJob = new HashMap<>();
    private final Map<String, Double> byKey = new HashMap<>();

    void finished(Trace.Task t, double seconds) {
        double[] sumCount = byJob.computeIfAbsent(t.job(), j -> new double[2]);
        sumCount[0] += seconds;
        sumCount[1]++;
        byKey.merge(t.service(), seconds, (old, s) -> old + KEY_WEIGHT * (s - old));
    }

    public double estimate(String job, String service) {
        double[] sumCount = byJob.get(job);
        if (sumCount != null) {
            return sumCount[0] / sumCount[1];
        }
        return byKey.getOrDefault(service, Double.NaN);
    }
}
