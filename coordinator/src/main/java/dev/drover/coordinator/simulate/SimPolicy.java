package dev.drover.coordinator.simulate;

/** A scaling policy under simulation: looks at the farm every interval and scales out or drains. */
public interface SimPolicy {

    String name();

    double intervalSeconds();

    void tick(SimModel model);
}
