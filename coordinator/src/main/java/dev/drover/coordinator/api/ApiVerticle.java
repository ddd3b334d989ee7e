package dev.drover.coordinator.api;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.timeline.Timeline;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP API and the dashboard: what artists, ops, scripts and tests use. Reads need a viewer (or
 * operator) token, actions an operator token; {@code /healthz} and the dashboard's static files are open
 * (they hold no data).
 */
public final class ApiVerticle extends VerticleBase {
    static final int MAX_STREAMS = 200;
    private static final long STREAM_MILLIS = 1000;

    private final CoordinatorConfig.Http config;
    private final ApiContext api;
    private final Auth.Role viewer = Auth.Role.VIEWER;
    private final Auth.Role operator = Auth.Role.OPERATOR;
    private final AtomicInteger streams = new AtomicInteger();
    private HttpServer server;

    public ApiVerticle(CoordinatorConfig config, ApiContext api) {
        this.config = config.http();
        this.api = api;
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        router.get("/healthz").handler(this::handleHealth);
        router.get("/").handler(ctx -> ctx.redirect("/ui/"));
        router.get("/ui/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
        router.get("/metrics").handler(guard(viewer, false, this::handleMetrics));
        router.get("/api/nodes").handler(guard(viewer, false, this::handleNodes));
        router.get("/api/nodes/:id").handler(guard(viewer, false, this::handleNode));
        router.get("/api/tasks").handler(guard(viewer, false, this::handleTasks));
        router.get("/api/pools").handler(guard(viewer, false,
                ctx -> sendJson(ctx, 200, PoolsJson.pools(api.scaling(), api.provisioning()))));
        router.get("/api/timeline").handler(guard(viewer, false, this::handleTimeline));
        router.get("/api/jobs").handler(guard(viewer, false, ctx -> JobsApi.list(ctx, api.queue())));
        router.get("/api/stream").handler(guard(viewer, true, this::handleStream));
        router.post().handler(BodyHandler.create().setBodyLimit(JobsApi.MAX_BODY_BYTES));
        router.post("/api/nodes/:id/drain").handler(guard(operator, false, this::handleDrain));
        router.post("/api/pools/:name/pause").handler(guard(operator, false, ctx -> handlePause(ctx, true)));
        router.post("/api/pools/:name/resume").handler(guard(operator, false, ctx -> handlePause(ctx, false)));
        router.post("/api/pools/:name/limits").handler(guard(operator, false, this::handleLimits));
        router.post("/api/jobs").handler(guard(operator, false, ctx -> JobsApi.submit(ctx, api.queue())));
        router.route().last().handler(ctx -> sendError(ctx, 404, "no such resource: " + ctx.request().path()));
        router.errorHandler(413, ctx -> sendError(ctx, 413, "request body too large"));
        router.errorHandler(500, ctx -> sendError(ctx, 500, "internal error"));
        server = vertx.createHttpServer();
        return server.requestHandler(router).listen(config.port(), config.host());
    }

    public int actualPort() {
        return server.actualPort();
    }

    private io.vertx.core.Handler<RoutingContext> guard(Auth.Role role, boolean tokenInQuery,
            io.vertx.core.Handler<RoutingContext> handler) {
        return ctx -> {
            if (api.auth().require(ctx, role, tokenInQuery)) {
                handler.handle(ctx);
            }
        };
    }

    private void handleHealth(RoutingContext ctx) {
        sendJson(ctx, 200, new JsonObject().put("status", "ok").put("nodes", api.registry().size()));
    }

    private void handleMetrics(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .end(api.metrics().scrape());
    }

    private void handleNodes(RoutingContext ctx) {
        sendJson(ctx, 200, new JsonObject().put("nodes", nodes()));
    }

    private JsonArray nodes() {
        JsonArray nodes = new JsonArray();
        for (NodeSnapshot n : api.registry().snapshot()) {
            JsonObject json = NodeJson.summary(n);
            if (api.queue() != null) {
                JobsApi.titles(n.id(), json.getJsonArray("currentTasks"), api.queue());
            }
            nodes.add(json);
        }
        return nodes;
    }

    private void handleNode(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        api.registry().find(id).ifPresentOrElse(node -> sendJson(ctx, 200, NodeJson.detail(node.snapshot())),
                () -> sendError(ctx, 404, "no node with id '" + id + "'"));
    }

    /** Every running task, then recently finished ones, across the farm. */
    private void handleTasks(RoutingContext ctx) {
        JsonArray running = new JsonArray();
        JsonArray recent = new JsonArray();
        for (NodeSnapshot n : api.registry().snapshot()) {
            NodeJson.tasks(n.id(), n.runningTasks()).forEach(running::add);
            NodeJson.tasks(n.id(), n.recentTasks()).forEach(recent::add);
        }
        recent.forEach(running::add);
        sendJson(ctx, 200, new JsonObject().put("tasks", running));
    }

    private void handleTimeline(RoutingContext ctx) {
        long after = longParam(ctx, "after", 0);
        int limit = (int) Math.min(Timeline.CAPACITY, Math.max(1, longParam(ctx, "limit", 200)));
        sendJson(ctx, 200, new JsonObject().put("events", timeline(after, limit)));
    }

    private JsonArray timeline(long after, int limit) {
        JsonArray events = new JsonArray();
        for (Timeline.Event e : api.timeline().since(after, limit)) {
            events.add(new JsonObject().put("seq", e.seq()).put("at", e.at().toString()).put("kind", e.kind().label())
                    .put("pool", e.pool()).put("node", e.node()).put("message", e.message()));
        }
        return events;
    }

    /**
     * Server-sent events for the dashboard: every second the pools, the nodes and the timeline entries the
     * client has not seen. One periodic timer per client, cancelled when it goes; a bounded number of clients.
     */
    private void handleStream(RoutingContext ctx) {
        if (streams.incrementAndGet() > MAX_STREAMS) {
            streams.decrementAndGet();
            sendError(ctx, 503, "too many dashboard streams (" + MAX_STREAMS + ")");
            return;
        }
        var response = ctx.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-store").putHeader("X-Accel-Buffering", "no");
        long[] lastSeq = {Math.max(0, longParam(ctx, "after", 0))};
        Runnable push = () -> {
            if (response.writeQueueFull()) {
                return; // a slow client skips a frame rather than growing our memory
            }
            JsonArray events = timeline(lastSeq[0], Timeline.CAPACITY);
            if (!events.isEmpty()) {
                lastSeq[0] = events.getJsonObject(events.size() - 1).getLong("seq");
            }
            JsonObject snapshot = new JsonObject().put("pools", PoolsJson.pools(api.scaling(), api.provisioning()))
                    .put("nodes", nodes()).put("events", events)
                    .put("jobs", api.queue() != null ? JobsApi.totals(api.queue()) : null);
            response.write("event: snapshot\ndata: " + snapshot.encode() + "\n\n");
        };
        push.run();
        long timer = vertx.setPeriodic(STREAM_MILLIS, t -> push.run());
        response.closeHandler(v -> {
            vertx.cancelTimer(timer);
            streams.decrementAndGet();
        });
    }

    private void handleDrain(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        JsonObject body = JobsApi.bodyOrEmpty(ctx);
        if (body == null) {
            return;
        }
        long deadlineSeconds = body.getValue("deadlineSeconds") instanceof Number n ? n.longValue() : 0;
        if (deadlineSeconds < 0 || deadlineSeconds > 7 * 24 * 3600) {
            sendError(ctx, 400, "deadlineSeconds must be 0 (drain on completion) .. 604800");
            return;
        }
        if (api.registry().find(id).isEmpty()) {
            sendError(ctx, 404, "no node with id '" + id + "'");
            return;
        }
        long deadline = deadlineSeconds > 0 ? System.currentTimeMillis() + deadlineSeconds * 1000 : 0;
        if (!api.provisioning().drain(id, deadline, "via API")) {
            sendError(ctx, 409, "node " + id + " cannot be drained now (it is "
                    + api.registry().find(id).map(n -> n.state().name()).orElse("gone") + ")");
            return;
        }
        sendJson(ctx, 202, new JsonObject().put("node", id).put("draining", true)
                .put("deadline", deadline > 0 ? java.time.Instant.ofEpochMilli(deadline).toString() : null));
    }

    private void handlePause(RoutingContext ctx, boolean pause) {
        String pool = ctx.pathParam("name");
        if (!api.provisioning().setPaused(pool, pause, "via API")) {
            sendError(ctx, 404, "no pool named '" + pool + "'");
            return;
        }
        sendJson(ctx, 200, new JsonObject().put("pool", pool).put("paused", pause));
    }

    /** Body {@code {"minNodes": n, "maxNodes": m}}: the pool's bounds from the next scaling round. */
    private void handleLimits(RoutingContext ctx) {
        String pool = ctx.pathParam("name");
        JsonObject body = JobsApi.bodyOrEmpty(ctx);
        if (body == null) {
            return;
        }
        var spec = api.scaling().spec(pool);
        if (spec.isEmpty()) {
            sendError(ctx, 404, "no pool named '" + pool + "'");
            return;
        }
        int min = body.getValue("minNodes") instanceof Integer i ? i : spec.get().minNodes();
        int max = body.getValue("maxNodes") instanceof Integer i ? i : spec.get().maxNodes();
        if (min < 0 || max < min || max > 10_000) {
            sendError(ctx, 400, "need 0 <= minNodes <= maxNodes <= 10000 (integers), got " + min + ".." + max);
            return;
        }
        api.scaling().setLimits(pool, min, max);
        api.timeline().record(Timeline.Kind.SCALE, pool, "", "pool " + pool + " limits set to " + min + ".." + max
                + " nodes via API (were " + spec.get().minNodes() + ".." + spec.get().maxNodes() + ")");
        sendJson(ctx, 200, new JsonObject().put("pool", pool).put("minNodes", min).put("maxNodes", max));
    }

    private static long longParam(RoutingContext ctx, String name, long dflt) {
        String v = ctx.request().getParam(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    static void sendJson(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store").end(body.encode());
    }

    static void sendError(RoutingContext ctx, int status, String message) {
        sendJson(ctx, status, new JsonObject().put("error", message).put("status", status));
    }
}
