package dev.drover.coordinator.simulate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What one policy's run of a trace cost and achieved. Times in seconds from the trace's start. */
public record SimResult(String policy, double cost, Map<Bucket, Double> nodeHours, double makespanSeconds,
        Map<String, Double> jobCompletionSeconds, double taskHours, double lostTaskHours, int evictions,
        int allocationFailures, int scaleOuts, int nodesRequested, int drains, List<Sample> samples) {

    /** Where a paid node-hour went. */
    public enum Bucket { BUSY, BOOTING, IDLE, DRAINING }

    /** The farm at one moment, for charts. */
    public record Sample(double at, int booting, int up, int draining, int queued, int running) {
        public int nodes() {
            return booting + up + draining;
        }
    }

    public double nodeHoursTotal() {
        return nodeHours.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    public double jobCompletionPercentile(double p) {
        List<Double> v = new ArrayList<>(jobCompletionSeconds.values());
        v.sort(Double::compare);
        return v.isEmpty() ? 0 : v.get((int) Math.min(v.size() - 1, Math.ceil(p * v.size()) - 1));
    }

    static final class Builder {
        private final String policy;
        private final Trace trace;
        private final Map<Bucket, Double> hours = new HashMap<>();
        private final Map<String, Double> jobStart = new HashMap<>();
        private final Map<String, Double> jobEnd = new TreeMap<>();
        private final List<Sample> samples = new ArrayList<>();
        private double cost;
        private double lost;
        private int evictions;
        private int allocationFailures;
        private int scaleOuts;
        private int requested;
        private int drains;

        Builder(String policy, Trace trace) {
            this.policy = policy;
            this.trace = trace;
            for (Bucket b : Bucket.values()) {
                hours.put(b, 0.0);
            }
            trace.tasks().forEach(t -> jobStart.merge(t.job(), t.submitSeconds(), Math::min));
        }

        void paid(Bucket b, double seconds, double money) {
            hours.merge(b, seconds / 3600, Double::sum);
            cost += money;
        }

        void taskDone(Trace.Task t, double at) {
            jobEnd.merge(t.job(), at, Math::max);
        }

        void lost(double seconds) {
            lost += seconds / 3600;
        }

        void eviction() {
            evictions++;
        }

        void allocationFailure() {
            allocationFailures++;
        }

        void scaleOut(int nodes) {
            scaleOuts++;
            requested += nodes;
        }

        void drain() {
            drains++;
        }

        void sample(double at, int booting, int up, int draining, int queued, int running) {
            samples.add(new Sample(at, booting, up, draining, queued, running));
        }

        SimResult build(double end, double lastFinish) {
            Map<String, Double> completion = new TreeMap<>();
            jobEnd.forEach((job, t) -> completion.put(job, t - jobStart.get(job)));
            double first = trace.tasks().get(0).submitSeconds();
            return new SimResult(policy, cost, Map.copyOf(hours), lastFinish - first, completion,
                    trace.taskSeconds() / 3600, lost, evictions, allocationFailures, scaleOuts, requested, drains,
                    List.copyOf(samples));
        }
    }
}
