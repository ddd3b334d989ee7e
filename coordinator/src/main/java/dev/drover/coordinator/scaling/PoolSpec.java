package dev.drover.coordinator.scaling;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One pool as the scaling policy sees it: a scale set's offering (VM size, zone, priority), how many tasks a
 * node runs, which Tractor service keys it serves (case-insensitive, like Tractor), its bounds and prices.
 *
 * @param maxCostPerHour money cap for this pool; {@code Double.POSITIVE_INFINITY} for none
 * @param fallbackPool where demand goes while this pool's offering is backed off (e.g. Regular behind Spot)
 */
public record PoolSpec(String name, String vmSize, String zone, boolean spot, int slotsPerNode, Set<String> serviceKeys,
        int minNodes, int maxNodes, double pricePerNodeHour, double maxCostPerHour, Optional<String> fallbackPool,
        Duration idleWindow, int disruptionBudgetPercent) {

    public static final Duration DEFAULT_IDLE_WINDOW = Duration.ofMinutes(5);
    public static final int DEFAULT_DISRUPTION_BUDGET_PERCENT = 10;

    public PoolSpec {
        serviceKeys = serviceKeys.stream().map(k -> k.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        if (slotsPerNode < 1 || minNodes < 0 || maxNodes < minNodes) {
            throw new IllegalArgumentException("pool " + name + ": need slotsPerNode >= 1 and 0 <= minNodes <= maxNodes");
        }
        if (!(pricePerNodeHour >= 0) || !(maxCostPerHour >= 0)) {
            throw new IllegalArgumentException("pool " + name + ": prices must be >= 0");
        }
        if (disruptionBudgetPercent < 1 || disruptionBudgetPercent > 100) {
            throw new IllegalArgumentException("pool " + name + ": disruptionBudgetPercent must be 1..100");
        }
    }

    /** The same pool with other node bounds (an operator's change of limits). */
    public PoolSpec withLimits(int min, int max) {
        return new PoolSpec(name, vmSize, zone, spot, slotsPerNode, serviceKeys, min, max, pricePerNodeHour,
                maxCostPerHour, fallbackPool, idleWindow, disruptionBudgetPercent);
    }

    /** The offering: what Azure allocates (or fails to) and evicts, and what is backed off. */
    public String offering() {
        return vmSize + "/" + (zone.isEmpty() ? "any" : zone) + "/" + (spot ? "Spot" : "Regular");
    }

    /** Whether the pool's blades can run work keyed so: a plain key or a Tractor key expression. */
    public boolean serves(String serviceKey) {
        return serviceKeys.contains(serviceKey.toLowerCase(Locale.ROOT))
                || dev.drover.coordinator.tractor.ServiceKeyExpression.satisfiedBy(serviceKey, serviceKeys);
    }
}
