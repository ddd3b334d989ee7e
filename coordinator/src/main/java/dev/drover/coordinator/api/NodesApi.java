package dev.drover.coordinator.api;

import dev.drover.coordinator.fleet.Node;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.protocol.Heartbeat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code GET /api/nodes}: pages ({@code limit}, {@code cursor} = the last id of the previous page, answered as
 * {@code next}), filters ({@code pool}, {@code state=READY,BUSY}) and a compact form ({@code view=compact}).
 * Only the nodes a page returns are copied, so a page costs what it shows, not what the fleet holds; without
 * {@code limit} every matching node is returned, as before.
 */
final class NodesApi {
    static final int MAX_LIMIT = 50_000;

    private NodesApi() {
    }

    /** A validated request; bad values throw IllegalArgumentException naming the parameter. */
    record Query(int limit, String cursor, String pool, Set<NodeState> states, boolean compact) {
        static Query parse(java.util.function.Function<String, String> param) {
            int limit = MAX_LIMIT;
            String l = param.apply("limit");
            if (l != null) {
                try {
                    limit = Integer.parseInt(l);
                } catch (NumberFormatException e) {
                    limit = -1;
                }
                if (limit < 1 || limit > MAX_LIMIT) {
                    throw new IllegalArgumentException("limit must be an integer from 1 to " + MAX_LIMIT + ", got '"
                            + l + "'");
                }
            }
            Set<NodeState> states = EnumSet.noneOf(NodeState.class);
            String s = param.apply("state");
            if (s != null && !s.isBlank()) {
                for (String one : s.split(",")) {
                    try {
                        states.add(NodeState.valueOf(one.trim().toUpperCase(Locale.ROOT)));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("state '" + one.trim() + "' is not a node state (one of "
                                + java.util.Arrays.toString(NodeState.values()) + ")");
                    }
                }
            }
            String view = param.apply("view");
            if (view != null && !view.equals("compact") && !view.equals("full")) {
                throw new IllegalArgumentException("view must be 'compact' or 'full', got '" + view + "'");
            }
            String cursor = param.apply("cursor");
            String pool = param.apply("pool");
            return new Query(limit, cursor == null ? "" : cursor, pool == null ? "" : pool, states,
                    "compact".equals(view));
        }

        boolean matches(Node.Capacity c) {
            return (pool.isEmpty() || pool.equals(c.pool())) && (states.isEmpty() || states.contains(c.state()));
        }
    }

    /** One page: {@code {"nodes": [...], "next": id-or-null}}. */
    static JsonObject page(Collection<Node> after, Query q, BuiltInQueue queue) {
        JsonArray nodes = new JsonArray();
        String last = null;
        boolean more = false;
        for (Node node : after) {
            if (!q.matches(node.capacity())) {
                continue;
            }
            if (nodes.size() == q.limit()) {
                more = true;
                break;
            }
            NodeSnapshot n = node.snapshot();
            JsonObject json = q.compact() ? compact(n) : NodeJson.summary(n);
            if (!q.compact() && queue != null) {
                JobsApi.titles(n.id(), json.getJsonArray("currentTasks"), queue);
            }
            nodes.add(json);
            last = n.id();
        }
        return new JsonObject().put("nodes", nodes).put("next", more ? last : null);
    }

    /** A few fields per node (about a fifth of the summary): for scripts and big fleets. */
    static JsonObject compact(NodeSnapshot n) {
        Heartbeat hb = n.lastHeartbeat();
        JsonObject json = new JsonObject().put("id", n.id()).put("state", n.state().name())
                .put("pool", n.identity() != null ? n.identity().pool() : null).put("connected", n.connected())
                .put("runningTasks", hb != null ? hb.runningTasks() : 0)
                .put("lastHeartbeat", n.lastHeartbeatAt() != null ? n.lastHeartbeatAt().toString() : null);
        if (!n.runningTasks().isEmpty()) {
            json.put("percent", n.runningTasks().get(0).percent());
        }
        return json;
    }
}
