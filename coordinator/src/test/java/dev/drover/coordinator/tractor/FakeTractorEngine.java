package dev.drover.coordinator.tractor;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.MultiMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A clean-room stand-in for Pixar's Tractor engine, written from specs/tractor-and-cyclecloud.md §1 and the
 * §6 checklist, for tests and the demo: {@code /Tractor/<verb>} over GET or form POST, JSON replies, errors as
 * non-200 with {@code {"rc", "msg"}}, {@code tsid} required on control calls, task states
 * blocked/ready/active/error/done, blades with heartbeat time and NIMBY (which stops dispatch, not running
 * tasks), {@code ejectall} that requeues a blade's active tasks, {@code btrack?q=delist}, and the blade side of
 * §2.2: {@code task?q=nextcmd} (404 = no work), {@code task?q=exitcode} (a stale cid.rev changes nothing) and
 * {@code btrack?q=bpulse}. It is not more
 * forgiving than the engine: unknown queries are errors.
 */
public final class FakeTractorEngine {
    private static final Pattern SELECT = Pattern.compile("tractorselect\\('Task',\\s*'state=(\\w+)'");

    /** One task with the service key of its command; {@code rev} counts its attempts (cid.rev, §2.2). */
    public static final class Task {
        final long jid;
        final int tid;
        final String service;
        final JsonArray argv;
        volatile String state;
        volatile String blade = "";
        volatile int rev;
        final List<String> ranOn = new java.util.concurrent.CopyOnWriteArrayList<>();

        Task(long jid, int tid, String service, String state, JsonArray argv) {
            this.jid = jid;
            this.tid = tid;
            this.service = service;
            this.state = state;
            this.argv = argv;
        }
    }

    /** One blade as the engine tracks it. */
    public static final class Blade {
        final String host;
        final String addr;
        volatile long heartbeatEpochSeconds;
        volatile String nimby = "";
        volatile int slots = 1;
        volatile Set<String> serviceKeys = Set.of();

        Blade(String host, String addr) {
            this.host = host;
            this.addr = addr;
        }
    }

    private final Vertx vertx;
    private final Map<String, Task> tasks = new ConcurrentHashMap<>();
    private final Map<String, Blade> blades = new ConcurrentHashMap<>();
    private final Set<String> sessions = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> limits = new LinkedHashMap<>();
    private final List<String> controlCalls = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile int failNext;
    private HttpServer server;

    public FakeTractorEngine(Vertx vertx) {
        this.vertx = vertx;
    }

    public Future<Integer> listen(int port) {
        server = vertx.createHttpServer().requestHandler(this::handle);
        return server.listen(port, "127.0.0.1").map(HttpServer::actualPort);
    }

    // ---- test controls ------------------------------------------------------------------------

    public void addTask(long jid, int tid, String service, String state) {
        addTask(jid, tid, service, state, List.of("true"));
    }

    /** A task whose command a blade can run ({@code task?q=nextcmd} hands it out). */
    public void addTask(long jid, int tid, String service, String state, List<String> argv) {
        tasks.put(jid + "/" + tid, new Task(jid, tid, service, state, new JsonArray(List.copyOf(argv))));
    }

    /** Blades the task was dispatched to, in order (a requeued task shows more than one). */
    public List<String> ranOn(long jid, int tid) {
        return List.copyOf(tasks.get(jid + "/" + tid).ranOn);
    }

    public String activeBlade(long jid, int tid) {
        Task t = tasks.get(jid + "/" + tid);
        return t.state.equals("active") ? t.blade : "";
    }

    /** Tasks active on a blade now. */
    public long activeOn(String host) {
        return tasks.values().stream().filter(t -> t.state.equals("active") && t.blade.equals(host)).count();
    }

    public long count(String state) {
        return tasks.values().stream().filter(t -> t.state.equals(state)).count();
    }

    /** Control requests the engine accepted, in order: "nimby host 1", "ejectall host", "delist host". */
    public List<String> controlCalls() {
        return List.copyOf(controlCalls);
    }

    /** A blade has taken a task: it is active there. */
    public void dispatch(long jid, int tid, String bladeHost) {
        Task t = tasks.get(jid + "/" + tid);
        t.state = "active";
        t.blade = bladeHost;
    }

    public void addBlade(String host, String addr, long heartbeatEpochSeconds) {
        Blade b = new Blade(host, addr);
        b.heartbeatEpochSeconds = heartbeatEpochSeconds;
        blades.put(host, b);
    }

    public void limit(String name, int siteMax) {
        limits.put(name, siteMax);
    }

    /** The next {@code n} requests fail with 500 and garbage, as a struggling engine might. */
    public void failNext(int n) {
        failNext = n;
    }

    public String taskState(long jid, int tid) {
        return tasks.get(jid + "/" + tid).state;
    }

    public String nimby(String host) {
        Blade b = blades.get(host);
        return b == null ? null : b.nimby;
    }

    public boolean hasBlade(String host) {
        return blades.containsKey(host);
    }

    // ---- HTTP -----------------------------------------------------------------------------------

    private void handle(HttpServerRequest req) {
        if (failNext > 0) {
            failNext--;
            req.response().setStatusCode(500).end("<html>engine restarting</html>");
            return;
        }
        String type = req.getHeader("Content-Type");
        if (req.method() == io.vertx.core.http.HttpMethod.POST && type != null
                && type.startsWith("application/x-www-form-urlencoded")) {
            req.setExpectMultipart(true); // Pixar's client sends the form in the body (§1.1)
        }
        req.end().onComplete(done -> {
            MultiMap p = MultiMap.caseInsensitiveMultiMap().addAll(req.params()).addAll(req.formAttributes());
            String path = req.path();
            String q = p.get("q");
            try {
                JsonObject reply = route(path, q, p, req.remoteAddress().host());
                req.response().putHeader("Content-Type", "application/json")
                        .putHeader("Server", "Pixar_Tractor/2.4 (drover fake engine)").end(reply.encode());
            } catch (EngineError e) {
                req.response().setStatusCode(e.status).putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("rc", e.rc).put("msg", e.getMessage()).encode());
            } catch (RuntimeException e) {
                req.response().setStatusCode(500).putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("rc", 500).put("msg", String.valueOf(e.getMessage())).encode());
            }
        });
    }

    private JsonObject route(String path, String q, MultiMap p, String client) {
        String verb = path.startsWith("/Tractor/") ? path.substring("/Tractor/".length()) : "";
        switch (verb + "?" + q) {
            case "monitor?login" -> {
                String user = require(p, "user");
                String tsid = UUID.randomUUID().toString().substring(0, 8) + "-tsid";
                sessions.add(tsid);
                return new JsonObject().put("rc", 0).put("login", "ok").put("user", user).put("host", client)
                        .put("tsid", tsid).put("crews", new JsonArray().add("Users")).put("engine", "fake 2.4")
                        .put("protocol", "sv-1.6");
            }
            case "monitor?blades" -> {
                JsonArray list = new JsonArray();
                for (Blade b : blades.values()) {
                    long inUse = tasks.values().stream().filter(t -> t.state.equals("active") && t.blade.equals(b.host))
                            .count();
                    list.add(new JsonObject().put("hnm", b.host).put("addr", b.addr).put("lp", 9005)
                            .put("t", b.heartbeatEpochSeconds).put("ns", b.slots).put("siu", inUse)
                            .put("as", Math.max(0, b.slots - inUse)).put("nimby", b.nimby)
                            .put("note", b.nimby.isEmpty() ? "" : "nimby " + b.nimby));
                }
                return new JsonObject().put("timestamp", System.currentTimeMillis() / 1000).put("blades", list)
                        .put("recordlimit", new JsonObject().put("limit", 2500).put("visible", list.size())
                                .put("truncated", 0));
            }
            case "ctrl?status" -> {
                long active = tasks.values().stream().filter(t -> t.state.equals("active")).count();
                return new JsonObject().put("rc", 0).put("ncmdactive", active).put("nlic", 0);
            }
            case "queue?limits" -> {
                JsonObject l = new JsonObject();
                limits.forEach((k, v) -> l.put(k, new JsonObject().put("SiteMax", v)));
                return new JsonObject().put("Limits", l);
            }
            case "ctrl?battribute" -> {
                session(p);
                Blade b = blade(require(p, "b"));
                String nimby = require(p, "nimby");
                b.nimby = nimby.equals("0") ? "" : nimby;
                controlCalls.add("nimby " + b.host + " " + nimby);
                return ok();
            }
            case "queue?ejectall" -> {
                session(p);
                Blade b = blade(require(p, "blade"));
                tasks.values().stream().filter(t -> t.state.equals("active") && t.blade.equals(b.host)).forEach(t -> {
                    t.state = "ready";
                    t.blade = "";
                });
                controlCalls.add("ejectall " + b.host);
                return ok();
            }
            case "btrack?delist" -> {
                session(p);
                Blade b = blade(require(p, "id"));
                blades.remove(b.host);
                controlCalls.add("delist " + b.host);
                return ok();
            }
            case "task?nextcmd" -> {
                return nextCommand(bladeRequest(p, client));
            }
            case "task?exitcode" -> {
                Blade b = bladeRequest(p, client);
                Task t = tasks.get(require(p, "jid") + "/" + require(p, "tid"));
                int rev = Integer.parseInt(require(p, "rev"));
                // a report for an attempt that was ejected (or finished) meanwhile changes nothing
                if (t != null && t.state.equals("active") && t.blade.equals(b.host) && t.rev == rev) {
                    t.state = require(p, "rc").equals("0") ? "done" : "error";
                    t.blade = "";
                }
                return new JsonObject().put("rc", 0).put("note", "exit status recorded");
            }
            case "btrack?bpulse" -> {
                bladeRequest(p, client);
                return ok();
            }
            default -> {
                if (verb.equals("db") && q != null) {
                    return select(q);
                }
                throw new EngineError(400, 1, "unsupported request " + verb + "?q=" + q);
            }
        }
    }

    /** Every blade request refreshes its heartbeat; a blade becomes known by asking (§2.1). */
    private Blade bladeRequest(MultiMap p, String client) {
        String host = require(p, "hnm");
        Blade b = blades.computeIfAbsent(host, h -> new Blade(h, client));
        b.heartbeatEpochSeconds = System.currentTimeMillis() / 1000;
        String keys = p.get("svckeys");
        if (keys != null && !keys.isBlank()) {
            b.serviceKeys = Set.of(keys.toLowerCase(Locale.ROOT).split("\\s*,\\s*"));
        }
        String sa = p.get("sa");
        if (sa != null && sa.split(",").length == 3) {
            b.slots = Math.max(1, Integer.parseInt(sa.split(",")[1].trim()));
        }
        return b;
    }

    /** 404 = no work (§2.2): NIMBY, no free slot, or nothing ready for the blade's service keys. */
    private JsonObject nextCommand(Blade b) {
        if (!b.nimby.isEmpty() || activeOn(b.host) >= b.slots) {
            throw new EngineError(404, 0, "no work for " + b.host);
        }
        synchronized (tasks) {
            Task t = tasks.values().stream().filter(x -> x.state.equals("ready"))
                    .filter(x -> b.serviceKeys.isEmpty() || b.serviceKeys.contains(x.service.toLowerCase(Locale.ROOT)))
                    .min(java.util.Comparator.comparingLong((Task x) -> x.jid).thenComparingInt(x -> x.tid)).orElse(null);
            if (t == null) {
                throw new EngineError(404, 0, "no work for " + b.host);
            }
            t.state = "active";
            t.blade = b.host;
            t.rev++;
            t.ranOn.add(b.host);
            return new JsonObject().put("argv", t.argv).put("jid", t.jid).put("tid", t.tid).put("cid", t.tid)
                    .put("rev", t.rev).put("svckey", t.service).put("uid", "drover@" + b.host).put("slots", 1);
        }
    }

    /** Only the one query Drover uses: tasks in a state, with jid, tid and service. */
    private JsonObject select(String q) {
        Matcher m = SELECT.matcher(q);
        if (!m.find()) {
            throw new EngineError(400, 1, "fake engine supports only tractorselect('Task','state=...')");
        }
        String state = m.group(1).toLowerCase(Locale.ROOT);
        JsonArray rows = new JsonArray();
        tasks.values().stream().filter(t -> t.state.equals(state)).forEach(t -> rows.add(new JsonObject()
                .put("jid", t.jid).put("tid", t.tid).put("service", t.service)));
        return new JsonObject().put("rc", 0).put("rows", rows);
    }

    private void session(MultiMap p) {
        String tsid = p.get("tsid");
        if (tsid == null || !sessions.contains(tsid)) {
            throw new EngineError(403, 403, "a valid tsid is required for this request");
        }
    }

    /** Blades are named {@code host} or {@code host/addr} (some clients add {@code :9005}). */
    private Blade blade(String id) {
        String host = id.split("[/:]")[0];
        Blade b = blades.get(host);
        if (b == null) {
            throw new EngineError(404, 1, "no such blade " + id);
        }
        return b;
    }

    private static String require(MultiMap p, String name) {
        String v = p.get(name);
        if (v == null || v.isEmpty()) {
            throw new EngineError(400, 1, "missing parameter " + name);
        }
        return v;
    }

    private static JsonObject ok() {
        return new JsonObject().put("rc", 0).put("msg", "ok");
    }

    private static final class EngineError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final int rc;

        EngineError(int status, int rc, String msg) {
            super(msg);
            this.status = status;
            this.rc = rc;
        }
    }
}
