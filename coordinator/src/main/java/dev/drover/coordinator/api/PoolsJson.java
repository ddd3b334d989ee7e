package dev.drover.coordinator.api;

import dev.drover.coordinator.provision.Instance;
import dev.drover.coordinator.provision.PoolActuator;
import dev.drover.coordinator.provision.Provisioning;
import dev.drover.coordinator.queue.QueueView;
import dev.drover.coordinator.scaling.ScalingDecision;
import dev.drover.coordinator.scaling.ScalingLoop;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/** The JSON of {@code GET /api/pools}: each pool's numbers, last decision and reason, and the queue. */
final class PoolsJson {
    private PoolsJson() {
    }

    static JsonObject pools(ScalingLoop scaling, Provisioning provisioning) {
        ScalingDecision d = scaling.last();
        Instant now = Instant.now();
        JsonArray pools = new JsonArray();
        for (ScalingDecision.PoolOutcome p : d.pools()) {
            JsonObject json = new JsonObject().put("name", p.pool()).put("demandNodes", p.demandNodes())
                    .put("target", p.target()).put("current", p.current()).put("booting", p.booting())
                    .put("draining", p.draining()).put("costPerHour", p.costPerHour()).put("reason", p.reason())
                    .put("paused", provisioning.paused().contains(p.pool()))
                    .put("executed", provisioning.executes(p.pool()));
            provisioning.actuator(p.pool()).ifPresent(a -> scaleSet(json, a));
            JsonArray decisions = new JsonArray();
            for (ScalingLoop.Decision h : scaling.history(p.pool())) {
                decisions.add(new JsonObject().put("at", h.at().toString()).put("target", h.target())
                        .put("current", h.current()).put("reason", h.reason()));
            }
            json.put("decisions", decisions);
            scaling.spec(p.pool()).ifPresent(spec -> {
                json.put("minNodes", spec.minNodes()).put("maxNodes", spec.maxNodes()).put("offering", spec.offering()).put("fallbackPool", spec.fallbackPool().orElse(null))
                        .put("evictionsLastHour", provisioning.offerings().evictionsLastHour(spec.offering(), now));
            });
            pools.add(json);
        }
        JsonArray backedOff = new JsonArray();
        provisioning.backedOff().forEach((offering, until) -> backedOff.add(new JsonObject()
                .put("offering", offering).put("until", until.toString())
                .put("reason", provisioning.offerings().reason(offering))));
        JsonArray actions = new JsonArray();
        for (ScalingDecision.Action a : d.actions()) {
            JsonObject o = new JsonObject().put("pool", a.pool()).put("reason", a.reason())
                    .put("executed", provisioning.executes(a.pool()));
            if (a instanceof ScalingDecision.SetCapacity c) {
                o.put("action", "scaleOut").put("targetNodes", c.target());
            } else if (a instanceof ScalingDecision.DrainNode n) {
                o.put("action", "drain").put("node", n.nodeId());
            }
            actions.add(o);
        }
        QueueView q = scaling.lastQueue();
        JsonObject counts = new JsonObject();
        q.counts().forEach((k, c) -> counts.put(k, new JsonObject().put("ready", c.ready()).put("active", c.active())));
        return new JsonObject().put("pools", pools).put("actions", actions).put("backedOffOfferings", backedOff)
                .put("queue", new JsonObject().put("known", q.known()).put("reason", q.reason()).put("counts", counts))
                .put("decidedAt", scaling.decidedAt() != null ? scaling.decidedAt().toString() : null);
    }

    private static void scaleSet(JsonObject json, PoolActuator a) {
        List<Instance> instances = a.instances();
        json.put("scaleSet", new JsonObject().put("describe", a.describe())
                .put("instances", instances == null ? null : instances.size())
                .put("lastError", a.lastError())
                .put("rateLimitRemaining", new JsonObject(new java.util.HashMap<>(a.rateLimits()))));
    }
}
