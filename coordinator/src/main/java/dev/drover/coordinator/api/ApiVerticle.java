package dev.drover.coordinator.api;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeSnapshot;
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
    private HttpServer server;

    public ApiVerticle(CoordinatorConfig config, NodeRegistry registry) {
        this.config = config.http();
        this.registry = registry;
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        router.get("/healthz").handler(this::handleHealth);
        router.get("/api/nodes").handler(this::handleNodes);
        router.get("/api/nodes/:id").handler(this::handleNode);
        router.get("/api/tasks").handler(this::handleTasks);
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

    private static void sendJson(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store").end(body.encode());
    }

    static void sendError(RoutingContext ctx, int status, String message) {
        sendJson(ctx, status, new JsonObject().put("error", message).put("status", status));
    }
}
