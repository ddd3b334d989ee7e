package dev.drover.coordinator.scaling;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a coordinator can know of a task's runtime before it runs: the mean of its job's finished tasks, else the
 * moving mean of recently finished tasks of its service key, else nothing (NaN). Fed by what really finished
 * (the built-in queue's tasks; the simulator's runs), never by a trace's truth. Thread-safe: the live queue
 * feeds it on the fleet's thread while the scaling tick reads it.
 */
public final class RuntimeEstimator {
    private static final double KEY_WEIGHT = 0.2; // moving average over roughly the last 5 tasks of a key
    /** Jobs remembered at most; the oldest is forgotten first (a coordinator runs for months). */
    static final int MAX_JOBS = 10_000;
    private final Map<String, double[]> byJob = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, double[]> eldest) {
            return size() > MAX_JOBS;
        }
    };
    private final Map<String, Double> byKey = new HashMap<>();

    /** A task of {@code job} (keyed {@code service}, lower-case) finished after running {@code seconds}. */
    public synchronized void finished(String job, String service, double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            return;
        }
        double[] sumCount = byJob.computeIfAbsent(job, j -> new double[2]);
        sumCount[0] += seconds;
        sumCount[1]++;
        byKey.merge(service, seconds, (old, s) -> old + KEY_WEIGHT * (s - old));
    }

    /** Expected runtime in seconds of a task of {@code job} keyed {@code service}, or NaN if nothing is known. */
    public synchronized double estimate(String job, String service) {
        double[] sumCount = byJob.get(job);
        if (sumCount != null) {
            return sumCount[0] / sumCount[1];
        }
        return byKey.getOrDefault(service, Double.NaN);
    }
}
