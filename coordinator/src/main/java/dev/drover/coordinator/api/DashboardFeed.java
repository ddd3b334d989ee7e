package dev.drover.coordinator.api;

import dev.drover.coordinator.fleet.Node;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.queue.BuiltInQueue;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The nodes part of the dashboard stream, shared by every client: once a second ({@link #advance}) it copies
 * only the nodes whose change count moved and keeps their JSON, so a client that saw the previous frame is
 * sent just those (a delta) and a new or lagging client the whole set. Before issue 16 every client's timer
 * serialised the whole fleet every second.
 */
final class DashboardFeed {
    private record Shown(long changes, JsonObject json) {
    }

    /** What changed between version {@code version - 1} and {@code version}. */
    record Frame(long version, JsonArray changed, JsonArray removed) {
    }

    private final NodeRegistry registry;
    private final BuiltInQueue queue;
    private final Map<String, Shown> shown = new HashMap<>();
    private long version;
    private Frame last = new Frame(0, new JsonArray(), new JsonArray());

    DashboardFeed(NodeRegistry registry, BuiltInQueue queue) {
        this.registry = registry;
        this.queue = queue;
    }

    /** Takes in what changed since the last call; cost grows with the changed nodes, plus a counter read each. */
    synchronized Frame advance() {
        JsonArray changed = new JsonArray();
        Set<String> present = new HashSet<>(shown.size() * 2);
        for (Node node : registry.nodes()) {
            present.add(node.id());
            Shown before = shown.get(node.id());
            long changes = node.changes();
            if (before != null && before.changes() == changes) {
                continue;
            }
            JsonObject json = NodeJson.summary(node.snapshot());
            if (queue != null) {
                JobsApi.titles(node.id(), json.getJsonArray("currentTasks"), queue);
            }
            shown.put(node.id(), new Shown(changes, json));
            changed.add(json);
        }
        JsonArray removed = new JsonArray();
        if (present.size() != shown.size()) {
            List<String> gone = new ArrayList<>();
            shown.keySet().stream().filter(id -> !present.contains(id)).forEach(gone::add);
            gone.forEach(id -> {
                shown.remove(id);
                removed.add(id);
            });
        }
        version++;
        last = new Frame(version, changed, removed);
        return last;
    }

    /** Every node as last taken in, in id order: what a new or lagging client is sent. */
    synchronized JsonArray all() {
        JsonArray all = new JsonArray();
        new java.util.TreeMap<>(shown).values().forEach(s -> all.add(s.json()));
        return all;
    }

    synchronized long version() {
        return version;
    }
}
