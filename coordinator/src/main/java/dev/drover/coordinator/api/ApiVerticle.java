package dev.drover.coordinator.api;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.timeline.Timeline;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
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
    /** Bodies of drain, pause, resume and limits are a few small fields. */
    static final int ACTION_BODY_BYTES = 4 * 1024;
    /** A connection with nothing in flight is closed after this (a request must arrive in full within 10 s). */
    static final int IDLE_SECONDS = 60;
    private static final long STREAM_MILLIS = 1000;

    private final CoordinatorConfig.Http config;
    private final ApiContext api;
    private final Auth.Role viewer = Auth.Role.VIEWER;
    private final Auth.Role operator = Auth.Role.OPERATOR;
    private final AtomicInteger streams = new AtomicInteger();
    private final java.util.Set<StreamClient> clients = new java.util.LinkedHashSet<>();
    private DashboardFeed feed;
    private HttpServer server;

    public ApiVerticle(CoordinatorConfig config, ApiContext api) {
        this.config = config.http();
        this.api = api;
    }

    @Override
    public Future<?> start() {
        feed = new DashboardFeed(api.registry(), api.queue());
        vertx.setPeriodic(STREAM_MILLIS, t -> pushAll());
        Router router = Router.router(vertx);
        router.route().handler(SecurityHeaders::common);
        router.route("/ui/*").handler(SecurityHeaders::dashboard);
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
        // Actions: the token is checked before any body byte is read, each route reads at most its own limit
        // into memory, and nothing is ever written to disk (no uploads).
        action("/api/nodes/:id/drain", ACTION_BODY_BYTES, router, this::handleDrain);
        action("/api/pools/:name/pause", ACTION_BODY_BYTES, router, ctx -> handlePause(ctx, true));
        action("/api/pools/:name/resume", ACTION_BODY_BYTES, router, ctx -> handlePause(ctx, false));
        action("/api/pools/:name/limits", ACTION_BODY_BYTES, router, this::handleLimits);
        action("/api/jobs", JobsApi.MAX_BODY_BYTES, router, ctx -> JobsApi.submit(ctx, api.queue()));
        router.route().last().handler(ctx -> sendError(ctx, 404, "no such resource: " + ctx.request().path()));
        router.errorHandler(413, ctx -> sendError(ctx, 413, "request body too large"));
        router.errorHandler(500, ctx -> sendError(ctx, 500, "internal error"));
        // HTTP/1.1 only: with cleartext HTTP/2 detection on, Vert.x hands us a connection only after its first
        // bytes, too late to give the first request its deadline.
        server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false)
                .setIdleTimeout(IDLE_SECONDS)
                .setMaxInitialLineLength(8 * 1024).setMaxHeaderSize(16 * 1024));
        server.connectionHandler(connection -> RequestDeadline.install(connection, RequestDeadline.DEFAULT_MILLIS));
        return server.requestHandler(router).listen(config.port(), config.host());
    }

    public int actualPort() {
        return server.actualPort();
    }

    private void action(String path, int bodyLimit, Router router, io.vertx.core.Handler<RoutingContext> handler) {
        // Three routes, not one: Vert.x wants a route's body handler before its own handlers, and the token must
        // be checked before the body is read. The request stays paused until the body handler reads it.
        router.post(path).handler(ctx -> {
            if (api.auth().require(ctx, operator, false)) {
                ctx.next();
            }
        });
        router.post(path).handler(BodyHandler.create(false).setBodyLimit(bodyLimit));
        router.post(path).handler(handler);
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
        NodesApi.Query q;
        try {
            q = NodesApi.Query.parse(ctx.request()::getParam);
        } catch (IllegalArgumentException e) {
            sendError(ctx, 400, e.getMessage());
            return;
        }
        // a long list is built off the event loop: at 10,000 nodes it took seconds there and starved the gateway
        vertx.executeBlocking(() -> NodesApi.page(api.registry().nodesAfter(q.cursor()), q, api.queue()), false)
                .onSuccess(page -> sendJson(ctx, 200, page))
                .onFailure(e -> sendError(ctx, 500, "internal error"));
    }

    private void handleNode(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        api.registry().find(id).ifPresentOrElse(node -> sendJson(ctx, 200, NodeJson.detail(node.detail())),
                () -> sendError(ctx, 404, "no node with id '" + id + "'"));
    }

    /** Every running task, then recently finished ones, across the farm. */
    private void handleTasks(RoutingContext ctx) {
        JsonArray running = new JsonArray();
        JsonArray recent = new JsonArray();
        for (dev.drover.coordinator.fleet.Node n : api.registry().nodes()) {
            NodeSnapshot detail = n.detail();
            NodeJson.tasks(n.id(), detail.runningTasks()).forEach(running::add);
            NodeJson.tasks(n.id(), detail.recentTasks()).forEach(recent::add);
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
     * Server-sent events for the dashboard: every second the pools, the timeline entries the client has not
     * seen, and the nodes — all of them first ({@code snapshot}), then only those that changed ({@code delta},
     * with the ids of nodes that are gone). One shared timer takes in the fleet's changes once for all clients
     * ({@link DashboardFeed}); a client that skipped a frame gets a whole snapshot again. Bounded clients.
     */
    private void handleStream(RoutingContext ctx) {
        if (streams.incrementAndGet() > MAX_STREAMS) {
            streams.decrementAndGet();
            sendError(ctx, 503, "too many dashboard streams (" + MAX_STREAMS + ")");
            return;
        }
        var response = ctx.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-store").putHeader("X-Accel-Buffering", "no");
        StreamClient client = new StreamClient(response, Math.max(0, longParam(ctx, "after", 0)));
        if (clients.isEmpty()) {
            feed.advance(); // catch up before the first client's snapshot
        }
        clients.add(client);
        push(client, null);
        response.closeHandler(v -> {
            clients.remove(client);
            streams.decrementAndGet();
        });
    }

    /** One dashboard stream: the last timeline entry and fleet version it was sent. */
    private static final class StreamClient {
        final io.vertx.core.http.HttpServerResponse response;
        long lastSeq;
        long version = -1;

        StreamClient(io.vertx.core.http.HttpServerResponse response, long lastSeq) {
            this.response = response;
            this.lastSeq = lastSeq;
        }
    }

    private void pushAll() {
        if (clients.isEmpty()) {
            return;
        }
        DashboardFeed.Frame frame = feed.advance();
        JsonObject pools = PoolsJson.pools(api.scaling(), api.provisioning());
        for (StreamClient c : clients) {
            push(c, frame, pools);
        }
    }

    private void push(StreamClient c, DashboardFeed.Frame frame) {
        push(c, frame, PoolsJson.pools(api.scaling(), api.provisioning()));
    }

    private void push(StreamClient c, DashboardFeed.Frame frame, JsonObject pools) {
        if (c.response.writeQueueFull()) {
            c.version = -1; // a slow client skips frames rather than growing our memory, then resyncs
            return;
        }
        JsonArray events = timeline(c.lastSeq, Timeline.CAPACITY);
        if (!events.isEmpty()) {
            c.lastSeq = events.getJsonObject(events.size() - 1).getLong("seq");
        }
        JsonObject body = new JsonObject().put("pools", pools).put("events", events)
                .put("jobs", api.queue() != null ? JobsApi.totals(api.queue()) : null);
        String kind;
        if (frame != null && c.version == frame.version() - 1) {
            kind = "delta";
            body.put("nodes", frame.changed()).put("removed", frame.removed());
        } else {
            kind = "snapshot";
            body.put("nodes", feed.all());
        }
        c.version = frame != null ? frame.version() : feed.version();
        c.response.write("event: " + kind + "\ndata: " + body.encode() + "\n\n");
    }

    private void handleDrain(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        JsonObject body = JobsApi.bodyOrEmpty(ctx);
        if (body == null) {
            return;
        }
        long deadlineSeconds;
        try {
            Bodies.onlyFields(body, "", java.util.Set.of("deadlineSeconds"));
            Long d = Bodies.optionalInteger(body, "deadlineSeconds", 0, 7 * 24 * 3600);
            deadlineSeconds = d != null ? d : 0; // 0: drain on completion
        } catch (IllegalArgumentException e) {
            sendError(ctx, 400, e.getMessage());
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
        JsonObject body = JobsApi.bodyOrEmpty(ctx);
        if (body == null) {
            return;
        }
        if (!body.isEmpty()) {
            sendError(ctx, 400, (pause ? "pause" : "resume") + " takes no body fields; got " + body.fieldNames());
            return;
        }
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
        int min;
        int max;
        try {
            Bodies.onlyFields(body, "", java.util.Set.of("minNodes", "maxNodes"));
            Long minValue = Bodies.optionalInteger(body, "minNodes", 0, 10_000);
            Long maxValue = Bodies.optionalInteger(body, "maxNodes", 0, 10_000);
            if (minValue == null && maxValue == null) {
                throw new IllegalArgumentException("set minNodes and/or maxNodes");
            }
            min = minValue != null ? minValue.intValue() : spec.get().minNodes();
            max = maxValue != null ? maxValue.intValue() : spec.get().maxNodes();
        } catch (IllegalArgumentException e) {
            sendError(ctx, 400, e.getMessage());
            return;
        }
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
