package dev.drover.coordinator.simulate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drover.coordinator.scaling.PoolSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A pool as the simulator models it: the policy's {@link PoolSpec} plus what Azure does to it — how long a node
 * takes from request to taking work (normal, clipped at 30 s), how often a request fails to allocate, and the
 * Spot eviction hazard per node-hour.
 */
public record SimPool(PoolSpec spec, double bootMeanSeconds, double bootSdSeconds, double allocFailProbability,
        double evictionsPerHour) {

    public SimPool {
        if (bootMeanSeconds < 0 || bootSdSeconds < 0 || allocFailProbability < 0 || allocFailProbability >= 1
                || evictionsPerHour < 0) {
            throw new IllegalArgumentException("pool " + spec.name() + ": need bootMeanSeconds, bootSdSeconds, "
                    + "evictionsPerHour >= 0 and 0 <= allocFailProbability < 1");
        }
    }

    /**
     * The default farm: a Spot pool with a Regular fallback, 4 slots a node, D16s_v5-like prices (Spot at
     * about 20 % of pay-as-you-go), 4 min boots (peers.md §2: 1 min to allocate plus 3–5 min to configure).
     */
    public static List<SimPool> defaults() {
        return List.of(
                new SimPool(spec("spot", true, 0.16, Optional.of("regular")), 240, 60, 0.02, 0.05),
                new SimPool(spec("regular", false, 0.77, Optional.empty()), 240, 60, 0.0, 0.0));
    }

    private static PoolSpec spec(String name, boolean spot, double price, Optional<String> fallback) {
        return new PoolSpec(name, "Standard_D16s_v5", "1", spot, 4, Set.of("render"), 0, 50, price,
                Double.POSITIVE_INFINITY, fallback, PoolSpec.DEFAULT_IDLE_WINDOW,
                PoolSpec.DEFAULT_DISRUPTION_BUDGET_PERCENT);
    }

    /**
     * Reads a pools file: a JSON array of objects with {@code name, spot, slotsPerNode, serviceKeys, minNodes,
     * maxNodes, pricePerNodeHour, bootMeanSeconds}, and optionally {@code vmSize, zone, fallbackPool,
     * idleWindowSeconds (300), disruptionBudgetPercent (10), bootSdSeconds (0), allocFailProbability (0),
     * evictionsPerHour (0)}.
     */
    public static List<SimPool> load(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw new IllegalArgumentException(file + ": want a non-empty JSON array of pools");
        }
        List<SimPool> pools = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode p = root.get(i);
            String at = file.getFileName() + " [" + i + "]";
            Set<String> keys = new HashSet<>();
            required(p, at, "serviceKeys").forEach(k -> keys.add(k.asText()));
            String name = required(p, at, "name").asText();
            try {
                PoolSpec spec = new PoolSpec(name, p.path("vmSize").asText("sim"), p.path("zone").asText(""),
                        required(p, at, "spot").asBoolean(), required(p, at, "slotsPerNode").asInt(), keys,
                        required(p, at, "minNodes").asInt(), required(p, at, "maxNodes").asInt(),
                        required(p, at, "pricePerNodeHour").asDouble(), Double.POSITIVE_INFINITY,
                        Optional.ofNullable(p.path("fallbackPool").textValue()),
                        Duration.ofSeconds(p.path("idleWindowSeconds").asLong(300)),
                        p.path("disruptionBudgetPercent").asInt(PoolSpec.DEFAULT_DISRUPTION_BUDGET_PERCENT));
                pools.add(new SimPool(spec, required(p, at, "bootMeanSeconds").asDouble(),
                        p.path("bootSdSeconds").asDouble(0), p.path("allocFailProbability").asDouble(0),
                        p.path("evictionsPerHour").asDouble(0)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
            }
        }
        return pools;
    }

    private static JsonNode required(JsonNode p, String at, String field) {
        JsonNode v = p.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(at + ": missing field " + field);
        }
        return v;
    }

    public String name() {
        return spec.name();
    }
}
