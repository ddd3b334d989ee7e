package dev.drover.coordinator.tractor;

import dev.drover.coordinator.tractor.FakeEngineModel.Blade;
import dev.drover.coordinator.tractor.FakeEngineModel.Task;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clean-room stand-in for Pixar's Tractor engine, written from specs/tractor-and-cyclecloud.md §1 and the §6
 * checklist, for tests: {@code /Tractor/<verb>} over GET or form POST, JSON replies, errors as non-200 with
 * {@code {"rc", "msg"}}, {@code tsid} required on control calls, password challenge when a password is set (§1.2),
 * task states blocked/ready/active/error/done, the Job table's {@code numready}/{@code numactive} (§3), blades named
 * exactly as they registered (short, FQDN, any case, address), NIMBY (stops dispatch, not running tasks),
 * {@code ejectall}, {@code delist}, and the blade side of §2.2 ({@code nextcmd}, {@code exitcode}, {@code bpulse}).
 * A task stays active on a blade until it reports or is ejected: the engine has no timeout for a vanished blade
 * (§5, unconfirmed). Faults a test can switch on: errors, garbage, refusing control calls, down (connection
 * refused), hanging. Never more forgiving than the engine: unknown queries are errors.
 */
public final class FakeTractorEngine {
    private final Vertx vertx;
    private final FakeEngineModel model = new FakeEngineModel();
    private final Set<String> sessions = ConcurrentHashMap.newKeySet();
    private final Set<String> challenges = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> limits = new LinkedHashMap<>();
    private final List<String> controlCalls = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private volatile int failNext;
    private volatile int garbageNext;
    private volatile boolean refuseControl;
    private volatile boolean hanging;
    private volatile String password;
    private volatile int bladeListLimit = 2500; // SiteMaxListReplyCount (§1.6)
    private HttpServer server;
    private int port;

    public FakeTractorEngine(Vertx vertx) {
        this.vertx = vertx;
    }

    public Future<Integer> listen(int wanted) {
        server = vertx.createHttpServer().requestHandler(this::handle);
        return server.listen(wanted, "127.0.0.1").map(s -> port = s.actualPort());
    }

    // ---- faults ---------------------------------------------------------------------------------

    /** The next {@code n} requests fail with 500 and an HTML page, as a restarting engine might. */
    public void failNext(int n) {
        failNext = n;
    }

    /** The next {@code n} requests get 200 with a body that is not JSON. */
    public void garbageNext(int n) {
        garbageNext = n;
    }

    /** Control calls (NIMBY, ejectall, delist) are refused with 500 and rc 1; reads still answer. */
    public void refuseControl(boolean refuse) {
        refuseControl = refuse;
    }

    /** Requests are read and never answered (a wedged engine); callers must time out. */
    public void hang(boolean hang) {
        hanging = hang;
    }

    /** The engine stops listening: connections are refused until {@link #up()}. Sessions do not survive. */
    public Future<Void> down() {
        sessions.clear();
        return server.close();
    }

    public Future<Integer> up() {
        return listen(port);
    }

    /** Every session ends (the engine's session timeout): control calls with an old tsid get 403 until a login. */
    public void expireSessions() {
        sessions.clear();
    }

    /** Logins need this password through the gentoken challenge (§1.2). */
    public void password(String password) {
        this.password = password;
    }

    public void bladeListLimit(int limit) {
        bladeListLimit = limit;
    }

    // ---- test controls --------------------------------------------------------------------------

    public void addTask(long jid, int tid, String service, String state) {
        addTask(jid, tid, service, state, List.of("true"));
    }

    /** A task whose command a blade can run; its job takes the service key of its first task. */
    public void addTask(long jid, int tid, String service, String state, List<String> argv) {
        model.job(jid, service).tasks.put(tid, new Task(jid, tid, service, state, new JsonArray(List.copyOf(argv))));
    }

    /** Adds {@code n} ready tasks to a job (created with {@code service}); counted, never dispatched. */
    public void addBulkReady(long jid, String service, int n) {
        model.job(jid, service).bulkReady += n;
    }

    public List<String> ranOn(long jid, int tid) {
        return List.copyOf(model.task(jid, tid).ranOn);
    }

    public String activeBlade(long jid, int tid) {
        Task t = model.task(jid, tid);
        return t.state.equals("active") ? t.blade : "";
    }

    /** Tasks active on a blade now (by its registered host name). */
    public long activeOn(String host) {
        return model.activeOn(host);
    }

    public long count(String state) {
        return model.tasks().filter(t -> t.state.equals(state)).count();
    }

    /** Control requests the engine accepted, in order: "nimby host 1", "ejectall host", "delist host". */
    public List<String> controlCalls() {
        return List.copyOf(controlCalls);
    }

    /** Requests received per {@code verb?q} (db queries as "db?tractorselect"), refused ones included. */
    public Map<String, Long> requests() {
        Map<String, Long> r = new LinkedHashMap<>();
        requests.forEach((k, v) -> r.put(k, v.get()));
        return r;
    }

    public long totalRequests() {
        return requests.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** A blade has taken a task: it is active there. */
    public void dispatch(long jid, int tid, String bladeHost) {
        Task t = model.task(jid, tid);
        t.state = "active";
        t.blade = bladeHost;
        t.rev++;
        t.ranOn.add(bladeHost);
    }

    /** The task's command exited 0 on its blade (as a blade's {@code exitcode} report would say). */
    public void complete(long jid, int tid) {
        Task t = model.task(jid, tid);
        t.state = "done";
        t.blade = "";
        t.completions.incrementAndGet();
    }

    public boolean hasTask(long jid, int tid) {
        FakeEngineModel.Job j = model.jobs.get(jid);
        return j != null && j.tasks.containsKey(tid);
    }

    /** How many attempts of the task the engine recorded as done. */
    public int completions(long jid, int tid) {
        return model.task(jid, tid).completions.get();
    }

    /** Active tasks now, as "jid/tid on blade". */
    public List<String> active() {
        return model.tasks().filter(t -> t.state.equals("active")).map(t -> t.jid + "/" + t.tid + " on " + t.blade)
                .toList();
    }

    /**
     * The machine behind {@code bladeHost} was deleted (not evicted by Azure) — its blade's work dies with it. If the
     * engine shows a task active there, that is the one thing Drover must never do: recorded, and logged loudly.
     */
    public void vmDeleted(String vm, String bladeHost) {
        List<String> lost = model.tasks().filter(t -> t.state.equals("active") && t.blade.equals(bladeHost))
                .map(t -> t.jid + "/" + t.tid).toList();
        if (!lost.isEmpty()) {
            String v = "VM " + vm + " deleted while the engine showed task(s) " + lost + " active on its blade "
                    + bladeHost;
            violations.add(v);
            org.slf4j.LoggerFactory.getLogger(FakeTractorEngine.class).error("FAKE ENGINE VIOLATION: " + v);
        }
    }

    /** Everything {@link #vmDeleted} caught. */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    public void addBlade(String host, String addr, long heartbeatEpochSeconds) {
        Blade b = new Blade(host, addr);
        b.heartbeatEpochSeconds = heartbeatEpochSeconds;
        model.blades.put(host, b);
    }

    public void limit(String name, int siteMax) {
        limits.put(name, siteMax);
    }

    public String taskState(long jid, int tid) {
        return model.task(jid, tid).state;
    }

    public String nimby(String host) {
        Blade b = model.blades.get(host);
        return b == null ? null : b.nimby;
    }

    public boolean hasBlade(String host) {
        return model.blades.containsKey(host);
    }

    // ---- HTTP -----------------------------------------------------------------------------------

    private void handle(HttpServerRequest req) {
        String type = req.getHeader("Content-Type");
        if (req.method() == io.vertx.core.http.HttpMethod.POST && type != null
                && type.startsWith("application/x-www-form-urlencoded")) {
            req.setExpectMultipart(true); // Pixar's client sends the form in the body (§1.1)
        }
        req.end().onComplete(done -> {
            MultiMap p = MultiMap.caseInsensitiveMultiMap().addAll(req.params()).addAll(req.formAttributes());
            String path = req.path();
            String q = p.get("q");
            String verb = path.startsWith("/Tractor/") ? path.substring("/Tractor/".length()) : "";
            String name = verb + "?" + (verb.equals("db") && q != null ? q.replaceAll("\\(.*", "") : q);
            requests.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
            if (hanging) {
                return;
            }
            if (failNext > 0) {
                failNext--;
                req.response().setStatusCode(500).end("<html>engine restarting</html>");
                return;
            }
            if (garbageNext > 0) {
                garbageNext--;
                req.response().putHeader("Content-Type", "application/json").end("{\"rc\": 0, \"rows\": [tru");
                return;
            }
            try {
                JsonObject reply = route(verb, q, p, req.remoteAddress().host());
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

    private JsonObject route(String verb, String q, MultiMap p, String client) {
        switch (verb + "?" + q) {
            case "monitor?loginscheme" -> {
                return new JsonObject().put("validation", password == null ? "none" : "internal:challenge");
            }
            case "monitor?gentoken" -> {
                String challenge = UUID.randomUUID().toString();
                challenges.add(challenge);
                return new JsonObject().put("challenge", challenge);
            }
            case "monitor?login" -> {
                return login(require(p, "user"), p.get("c"), client);
            }
            case "monitor?blades" -> {
                return bladeList();
            }
            case "ctrl?status" -> {
                return new JsonObject().put("rc", 0).put("ncmdactive", count("active")).put("nlic", 0);
            }
            case "queue?limits" -> {
                JsonObject l = new JsonObject();
                limits.forEach((k, v) -> l.put(k, new JsonObject().put("SiteMax", v)));
                return new JsonObject().put("Limits", l);
            }
            case "ctrl?battribute" -> {
                control(p);
                Blade b = model.blade(require(p, "b"));
                String nimby = require(p, "nimby");
                b.nimby = nimby.equals("0") ? "" : nimby;
                controlCalls.add("nimby " + b.host + " " + nimby);
                return ok();
            }
            case "queue?ejectall" -> {
                control(p);
                Blade b = model.blade(require(p, "blade"));
                model.tasks().filter(t -> t.state.equals("active") && t.blade.equals(b.host)).forEach(t -> {
                    t.state = "ready";
                    t.blade = "";
                });
                controlCalls.add("ejectall " + b.host);
                return ok();
            }
            case "btrack?delist" -> {
                control(p);
                Blade b = model.blade(require(p, "id"));
                model.blades.remove(b.host);
                controlCalls.add("delist " + b.host);
                return ok();
            }
            case "task?nextcmd" -> {
                return nextCommand(bladeRequest(p, client));
            }
            case "task?exitcode" -> {
                Blade b = bladeRequest(p, client);
                Task t = model.task(Long.parseLong(require(p, "jid")), Integer.parseInt(require(p, "tid")));
                int rev = Integer.parseInt(require(p, "rev"));
                // a report for an attempt that was ejected (or finished) meanwhile changes nothing
                if (t.state.equals("active") && t.blade.equals(b.host) && t.rev == rev) {
                    boolean ok = require(p, "rc").equals("0");
                    t.state = ok ? "done" : "error";
                    t.blade = "";
                    if (ok) {
                        t.completions.incrementAndGet();
                    }
                }
                return new JsonObject().put("rc", 0).put("note", "exit status recorded");
            }
            case "btrack?bpulse" -> {
                bladeRequest(p, client);
                return ok();
            }
            default -> {
                if (verb.equals("db") && q != null) {
                    return model.selectJobs(q);
                }
                throw new EngineError(400, 1, "unsupported request " + verb + "?q=" + q);
            }
        }
    }

    /** With a password set, {@code c} must be the hex of "challenge|password" for a challenge issued once (§1.2). */
    private JsonObject login(String user, String c, String client) {
        if (password != null) {
            boolean ok = false;
            if (c != null) {
                String decoded;
                try {
                    decoded = new String(HexFormat.of().parseHex(c), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new EngineError(400, 1, "c is not hex");
                }
                int bar = decoded.indexOf('|');
                ok = bar > 0 && challenges.remove(decoded.substring(0, bar))
                        && decoded.substring(bar + 1).equals(password);
            }
            if (!ok) {
                throw new EngineError(403, 403, "login refused for " + user);
            }
        }
        String tsid = UUID.randomUUID().toString().substring(0, 8) + "-tsid";
        sessions.add(tsid);
        return new JsonObject().put("rc", 0).put("login", "ok").put("user", user).put("host", client)
                .put("tsid", tsid).put("crews", new JsonArray().add("Users")).put("engine", "fake 2.4")
                .put("protocol", "sv-1.6");
    }

    private JsonObject bladeList() {
        JsonArray list = new JsonArray();
        int total = model.blades.size();
        for (Blade b : model.blades.values()) {
            if (list.size() == bladeListLimit) {
                break;
            }
            long inUse = model.activeOn(b.host);
            list.add(new JsonObject().put("hnm", b.host).put("addr", b.addr).put("lp", 9005)
                    .put("t", b.heartbeatEpochSeconds).put("ns", b.slots).put("siu", inUse)
                    .put("as", Math.max(0, b.slots - inUse)).put("nimby", b.nimby)
                    .put("note", b.nimby.isEmpty() ? "" : "nimby " + b.nimby));
        }
        return new JsonObject().put("timestamp", System.currentTimeMillis() / 1000).put("blades", list)
                .put("recordlimit", new JsonObject().put("limit", bladeListLimit).put("visible", list.size())
                        .put("truncated", total > list.size() ? 1 : 0));
    }

    /** Every blade request refreshes its heartbeat; a blade becomes known by asking (§2.1). */
    private Blade bladeRequest(MultiMap p, String client) {
        String host = require(p, "hnm");
        Blade b = model.blades.computeIfAbsent(host, h -> new Blade(h, client));
        b.heartbeatEpochSeconds = System.currentTimeMillis() / 1000;
        String keys = p.get("svckeys");
        if (keys != null && !keys.isBlank()) {
            b.serviceKeys = Set.of(FakeEngineModel.lower(keys).split("\\s*,\\s*"));
        }
        String sa = p.get("sa");
        if (sa != null && sa.split(",").length == 3) {
            b.slots = Math.max(1, Integer.parseInt(sa.split(",")[1].trim()));
        }
        return b;
    }

    /** 404 = no work (§2.2): NIMBY, no free slot, or nothing ready for the blade's service keys. */
    private JsonObject nextCommand(Blade b) {
        if (!b.nimby.isEmpty() || model.activeOn(b.host) >= b.slots) {
            throw new EngineError(404, 0, "no work for " + b.host);
        }
        synchronized (model) {
            Task t = model.nextFor(b);
            if (t == null) {
                throw new EngineError(404, 0, "no work for " + b.host);
            }
            dispatch(t.jid, t.tid, b.host);
            return new JsonObject().put("argv", t.argv).put("jid", t.jid).put("tid", t.tid).put("cid", t.tid)
                    .put("rev", t.rev).put("svckey", t.service).put("uid", "drover@" + b.host).put("slots", 1);
        }
    }

    /** Control calls need a live tsid (§1.2) — and are refused outright while the test says so. */
    private void control(MultiMap p) {
        String tsid = p.get("tsid");
        if (tsid == null || !sessions.contains(tsid)) {
            throw new EngineError(403, 403, "a valid tsid is required for this request");
        }
        if (refuseControl) {
            throw new EngineError(500, 1, "engine busy: control request refused");
        }
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

    static final class EngineError extends RuntimeException {
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
