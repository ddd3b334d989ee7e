package dev.drover.coordinator.api;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.scaling.ScalingDecision;
import dev.drover.coordinator.scaling.ScalingLoop;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** The HTTP JSON API: what the dashboard, scripts and tests read. */
public final class ApiVerticle extends VerticleBase {
    private final CoordinatorConfig.Http config;
    private final NodeRegistry registry;
    private final ScalingLoop scaling;
    private HttpServer server;

    public ApiVerticle(CoordinatorConfig config, NodeRegistry registry, ScalingLoop scaling) {
        this.config = config.http();
        this.registry = registry;
        this.scaling = scaling;
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        router.get("/healthz").handler(this::handleHealth);
        router.get("/api/nodes").handler(this::handleNodes);
        router.get("/api/nodes/:id").handler(this::handleNode);
        router.get("/api/tasks").handler(this::handleTasks);
        router.get("/api/pools").handler(this::handlePools);
        router.route().last().handler(ctx -> sendError(ctx, 404, "no such resource: " + ctx.request().path()));
        router.errorHandler(500, ctx -> sendError(ctx, 500, "internal error"));
        server = vertx.createHttpServer();
        return server.requestHandler(router).listen(config.port(), config.host());
    }

    public int actualPort() {
        return server.actualPort();
    }

    private void handleHealth(RoutingContext ctx) {
        sendJson(ctx, 200, new JsonObject().put("status", "ok").put("nodes", registry.size()));
    }

    private void handleNodes(RoutingContext ctx) {
        JsonArray nodes = new JsonArray();
        for (NodeSnapshot n : registry.snapshot()) {
            nodes.add(NodeJson.summary(n));
        }
        sendJson(ctx, 200, new JsonObject().put("nodes", nodes));
    }

    private void handleNode(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        registry.find(id).ifPresentOrElse(node -> sendJson(ctx, 200, NodeJson.detail(node.snapshot())),
                () -> sendError(ctx, 404, "no node with id '" + id + "'"));
    }

    /** Every running task, then recently finished ones, across the farm. */
    private void handleTasks(RoutingContext ctx) {
        JsonArray running = new JsonArray();
        JsonArray recent = new JsonArray();
        for (NodeSnapshot n : registry.snapshot()) {
            NodeJson.tasks(n.id(), n.runningTasks()).forEach(running::add);
            NodeJson.tasks(n.id(), n.recentTasks()).forEach(recent::add);
        }
        recent.forEach(running::add);
        sendJson(ctx, 200, new JsonObject().put("tasks", running));
    }

    /** Each pool's numbers and last decision with its reason, the planned actions, and the queue's state. */
    private void handlePools(RoutingContext ctx) {
        ScalingDecision d = scaling.last();
        JsonArray pools = new JsonArray();
        for (ScalingDecision.PoolOutcome p : d.pools()) {
            pools.add(new JsonObject().put("name", p.pool()).put("demandNodes", p.demandNodes())
                    .put("target", p.target()).put("current", p.current()).put("booting", p.booting())
                    .put("draining", p.draining()).put("costPerHour", p.costPerHour()).put("reason", p.reason()));
        }
        JsonArray planned = new JsonArray();
        for (ScalingDecision.Action a : d.actions()) {
            JsonObject o = new JsonObject().put("pool", a.pool()).put("reason", a.reason());
            if (a instanceof ScalingDecision.SetCapacity c) {
                o.put("action", "setCapacity").put("capacity", c.target());
            } else if (a instanceof ScalingDecision.DrainNode n) {
                o.put("action", "drain").put("node", n.nodeId());
            }
            planned.add(o);
        }
        var q = scaling.lastQueue();
        sendJson(ctx, 200, new JsonObject().put("pools", pools).put("plannedActions", planned)
                .put("actionsExecuted", false)
                .put("queue", new JsonObject().put("known", q.known()).put("reason", q.reason())));
    }

    private static void sendJson(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store").end(body.encode());
    }

    static void sendError(RoutingContext ctx, int status, String message) {
        sendJson(ctx, status, new JsonObject().put("error", message).put("status", status));
    }
}
