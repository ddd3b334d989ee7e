package dev.drover.coordinator.demo;

import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.timeline.Timeline;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** What the demo prints: the farm's timeline as it happens, and the summary at the end. */
final class DemoProgress {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    private final Timeline timeline;
    private final BuiltInQueue queue;
    private final Supplier<LocalScaleSet> scaleSet;
    private final dev.drover.coordinator.fleet.NodeRegistry registry;
    private final PrintStream out;
    private long lastSeq;

    DemoProgress(Timeline timeline, BuiltInQueue queue, Supplier<LocalScaleSet> scaleSet,
            dev.drover.coordinator.fleet.NodeRegistry registry, PrintStream out) {
        this.registry = registry;
        this.timeline = timeline;
        this.queue = queue;
        this.scaleSet = scaleSet;
        this.out = out;
    }

    void printNew() {
        for (Timeline.Event e : timeline.since(lastSeq, Timeline.CAPACITY)) {
            lastSeq = e.seq();
            out.println(TIME.format(e.at()) + "  " + String.format("%-9s", e.kind().label()) + e.message());
        }
        out.flush();
    }

    /** The job is done and the pool has scaled in to nothing: every node it had is deleted or gone. */
    boolean finished() {
        LocalScaleSet set = scaleSet.get();
        return queue.drained() && set != null && set.instancesStarted() > 0 && set.names().isEmpty()
                && registry.snapshot().stream().allMatch(n -> n.state() == dev.drover.coordinator.fleet.NodeState.DELETED
                        || n.state() == dev.drover.coordinator.fleet.NodeState.GONE);
    }

    void printSummary(double pricePerNodeHour, Path images) {
        Map<BuiltInQueue.State, Integer> totals = queue.totals();
        LocalScaleSet set = scaleSet.get();
        double nodeMinutes = set.nodeMinutes();
        long pngs;
        try (Stream<Path> files = Files.list(images)) {
            pngs = files.filter(p -> p.toString().endsWith(".png")).count();
        } catch (IOException e) {
            pngs = -1;
        }
        out.println();
        out.println("Drover demo summary");
        out.println("  frames rendered:   " + totals.get(BuiltInQueue.State.DONE) + " (" + pngs + " PNG files), failed: "
                + totals.get(BuiltInQueue.State.ERROR));
        out.println("  evictions:         " + timeline.total(Timeline.Kind.EVICTION));
        out.println("  tasks requeued:    " + timeline.total(Timeline.Kind.REQUEUE));
        out.println("  nodes started:     " + set.instancesStarted() + ", drains: " + timeline.total(Timeline.Kind.DRAIN)
                + ", instances deleted: " + timeline.total(Timeline.Kind.DELETE));
        out.println(String.format("  node-minutes used: %.1f", nodeMinutes));
        out.println(String.format("  cost at $%.3f per node-hour: $%.4f", pricePerNodeHour,
                nodeMinutes / 60.0 * pricePerNodeHour));
        out.println("  images:            " + images);
        out.println();
        out.flush();
    }
}
