package dev.drover.coordinator.tractor;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Talks to the Tractor engine's URL API (specs/tractor-and-cyclecloud.md §1): login for a {@code tsid} (with the
 * password challenge when the site has passwords, §1.2), per-job ready/active counts from the Job table (§1.3
 * {@code db}, §3 Job fields), the blade list, limits, NIMBY, {@code ejectall}, {@code delist} (§1.4). Every call
 * has a timeout; every failure is a failed future with a {@link TractorException}, never a half-read answer.
 */
public final class TractorClient {
    static final int MAX_REPLY_BYTES = 8 * 1024 * 1024;
    /**
     * Job rows per {@code tractorselect} page: about 80 bytes each, so a page stays near 1 MB, far below the
     * reply limit, and a farm with fewer live jobs than this is read in one request.
     */
    static final int JOB_PAGE = 10_000;

    private final WebClient web;
    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final long timeoutMillis;
    private final AtomicLong requests = new AtomicLong();
    private volatile String tsid;
    private volatile Runnable onAnswer = () -> { };

    public TractorClient(WebClient web, String host, int port, String user, long timeoutMillis) {
        this(web, host, port, user, null, timeoutMillis);
    }

    /** @param password null or empty on a site without Tractor passwords */
    public TractorClient(WebClient web, String host, int port, String user, String password, long timeoutMillis) {
        this.web = web;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password == null || password.isEmpty() ? null : password;
        this.timeoutMillis = timeoutMillis;
    }

    /** Called after every reply the engine answered properly (so pending blade work can stop backing off). */
    public void onAnswer(Runnable listener) {
        this.onAnswer = listener;
    }

    /** Requests sent to the engine so far (for the engine-load benchmark and the API). */
    public long requests() {
        return requests.get();
    }

    /**
     * {@code monitor?q=login&user=U}; with a password, first {@code monitor?q=gentoken} for a challenge, then
     * {@code &c=<hex of "challenge|password">} (§1.2). <b>(verify)</b> Pixar's client hashes the password with a
     * site function from {@code trSiteFunctions.py} when the site defines one; the spec does not give the default,
     * so the password is sent as is inside the challenge string.
     */
    public Future<Void> login() {
        MultiMap form = MultiMap.caseInsensitiveMultiMap().add("q", "login").add("user", user);
        Future<MultiMap> withChallenge = password == null ? Future.succeededFuture(form)
                : call("monitor", MultiMap.caseInsensitiveMultiMap().add("q", "gentoken")).map(r -> {
                    String challenge = r.getString("challenge");
                    if (challenge == null || challenge.isEmpty()) {
                        throw new TractorException(0, "gentoken reply without a challenge");
                    }
                    return form.add("c", HexFormat.of().formatHex((challenge + "|" + password)
                            .getBytes(StandardCharsets.UTF_8)));
                });
        return withChallenge.compose(f -> call("monitor", f)).map(r -> {
            String t = r.getString("tsid");
            if (!"ok".equals(r.getString("login")) || t == null || t.isEmpty()) {
                throw new TractorException(0, "login as " + user + " refused (rc " + r.getValue("rc") + ")");
            }
            tsid = t;
            return (Void) null;
        }).recover(e -> password != null ? Future.failedFuture(e) : needsPassword(e));
    }

    /** A refused password-less login: say so plainly if the engine wants a password ({@code loginscheme}, §1.2). */
    private Future<Void> needsPassword(Throwable refused) {
        return call("monitor", MultiMap.caseInsensitiveMultiMap().add("q", "loginscheme"))
                .otherwise(new JsonObject())
                .compose(r -> {
                    String validation = r.getString("validation", "");
                    return Future.failedFuture(validation.startsWith("internal:")
                            ? new TractorException(403, "the engine requires a password for " + user
                                    + " (set tractor.passwordFile or TRACTOR_PASSWORD)")
                            : refused);
                });
    }

    /**
     * Every job with ready or active tasks, one row per job (never one per task), paged by jid:
     * {@code tractorselect('Job','(numready > 0 or numactive > 0) and jid > N','jid,service,numready,numactive',
     * 'jid',PAGE,'f','None')}. <b>(verify)</b> The argument order after the columns (sort, limit) follows the one
     * example in §1.3 ({@code '',NULL}); a real engine may name them differently.
     */
    public Future<List<JobCounts>> jobs() {
        return jobsFrom(0, new ArrayList<>(), 0);
    }

    private Future<List<JobCounts>> jobsFrom(long afterJid, List<JobCounts> into, int pages) {
        String sql = "tractorselect('Job','(numready > 0 or numactive > 0) and jid > " + afterJid
                + "','jid,service,numready,numactive','jid'," + JOB_PAGE + ",'f','None')";
        return call("db", MultiMap.caseInsensitiveMultiMap().add("q", sql)).compose(r -> {
            JsonArray rows = r.getJsonArray("rows");
            if (rows == null) {
                throw new TractorException(0, "db reply without rows");
            }
            long last = afterJid;
            for (Object o : rows) {
                JobCounts job = jobRow(o);
                if (job.jid() <= last) {
                    throw new TractorException(0, "db rows not in jid order after jid " + last + ": " + job.jid());
                }
                last = job.jid();
                into.add(job);
            }
            if (rows.size() < JOB_PAGE) {
                return Future.succeededFuture(into);
            }
            if (pages >= 1000) {
                throw new TractorException(0, "more than " + 1000L * JOB_PAGE + " live jobs; stopped reading");
            }
            return jobsFrom(last, into, pages + 1);
        });
    }

    private static JobCounts jobRow(Object o) {
        if (!(o instanceof JsonObject row)) {
            throw new TractorException(0, "db row is not an object: " + o);
        }
        if (!(row.getValue("jid") instanceof Number jid) || !(row.getValue("numready") instanceof Number ready)
                || !(row.getValue("numactive") instanceof Number active)) {
            throw new TractorException(0, "Job row without a numeric jid, numready or numactive: " + row.encode());
        }
        Object service = row.getValue("service");
        if (service != null && !(service instanceof String)) {
            throw new TractorException(0, "Job row with a non-text service: " + row.encode());
        }
        return new JobCounts(jid.longValue(), service == null ? "" : (String) service, ready.intValue(),
                active.intValue());
    }

    /** {@code queue?q=limits}: each limit's SiteMax (limits without one are left out). */
    public Future<Map<String, Integer>> limits() {
        return call("queue", MultiMap.caseInsensitiveMultiMap().add("q", "limits")).map(r -> {
            JsonObject limits = r.getJsonObject("Limits");
            if (limits == null) {
                throw new TractorException(0, "limits reply without Limits");
            }
            Map<String, Integer> siteMax = new LinkedHashMap<>();
            for (String name : limits.fieldNames()) {
                if (limits.getValue(name) instanceof JsonObject l && l.getValue("SiteMax") instanceof Number n) {
                    siteMax.put(name, n.intValue());
                }
            }
            return siteMax;
        });
    }

    /** The blade list as read, and whether the engine truncated it ({@code recordlimit.truncated}, §1.3). */
    public record Blades(List<BladeInfo> blades, boolean truncated) {
    }

    /** {@code monitor?q=blades}: {@code hnm}, {@code addr}, {@code siu} and {@code nimby} of every blade. */
    public Future<Blades> blades() {
        return call("monitor", MultiMap.caseInsensitiveMultiMap().add("q", "blades")).map(r -> {
            JsonArray list = r.getJsonArray("blades");
            if (list == null) {
                throw new TractorException(0, "blades reply without blades");
            }
            List<BladeInfo> blades = new ArrayList<>(list.size());
            for (Object o : list) {
                if (!(o instanceof JsonObject b) || !(b.getValue("hnm") instanceof String hnm)
                        || !(b.getValue("siu") instanceof Number siu)) {
                    throw new TractorException(0, "blade listed without hnm or siu (slots in use): " + o);
                }
                Object addr = b.getValue("addr");
                Object nimby = b.getValue("nimby");
                blades.add(new BladeInfo(hnm, addr instanceof String a ? a : "", siu.intValue(),
                        nimby == null ? "" : String.valueOf(nimby)));
            }
            JsonObject limit = r.getJsonObject("recordlimit");
            Object truncated = limit == null ? null : limit.getValue("truncated");
            boolean cut = truncated instanceof Number n ? n.intValue() != 0 : Boolean.TRUE.equals(truncated);
            return new Blades(blades, cut);
        });
    }

    /** NIMBY on stops the engine giving the blade work; running tasks carry on (§2.6). */
    public Future<Void> nimby(String bladeId, boolean on) {
        return control("ctrl", MultiMap.caseInsensitiveMultiMap().add("q", "battribute").add("b", bladeId)
                .add("nimby", on ? "1" : "0"));
    }

    /** Stops the blade's active tasks and puts them back in the queue now. */
    public Future<Void> ejectAll(String bladeId) {
        return control("queue", MultiMap.caseInsensitiveMultiMap().add("q", "ejectall").add("blade", bladeId));
    }

    /** Removes a blade that is gone from the engine's blade list. */
    public Future<Void> delist(String bladeId) {
        return control("btrack", MultiMap.caseInsensitiveMultiMap().add("q", "delist").add("id", bladeId));
    }

    /** Control calls need a live tsid: log in first if there is none, and once more if it was refused. */
    private Future<Void> control(String verb, MultiMap form) {
        Future<Void> ready = tsid == null ? login() : Future.succeededFuture();
        return ready.compose(v -> call(verb, withTsid(form)))
                .recover(e -> e instanceof TractorException te && te.status() == 403
                        ? login().compose(v -> call(verb, withTsid(form))) : Future.failedFuture(e))
                .mapEmpty();
    }

    private MultiMap withTsid(MultiMap form) {
        return MultiMap.caseInsensitiveMultiMap().addAll(form).set("tsid", tsid);
    }

    private Future<JsonObject> call(String verb, MultiMap form) {
        requests.incrementAndGet();
        return web.post(port, host, "/Tractor/" + verb).timeout(timeoutMillis).sendForm(form)
                .recover(e -> Future.failedFuture(new TractorException(0, verb + ": " + e.getMessage())))
                .map(r -> {
                    JsonObject json = parse(verb, form.get("q"), r);
                    onAnswer.run();
                    return json;
                });
    }

    private static JsonObject parse(String verb, String q, HttpResponse<Buffer> r) {
        Buffer body = r.body();
        String what = verb + "?q=" + (q != null && q.length() > 40 ? q.substring(0, 40) + "…" : q);
        if (body != null && body.length() > MAX_REPLY_BYTES) {
            throw new TractorException(r.statusCode(), what + ": reply of " + body.length() + " bytes is too large");
        }
        if (r.statusCode() != 200) {
            throw new TractorException(r.statusCode(), what + ": HTTP " + r.statusCode() + " "
                    + (body == null ? "" : body.toString().substring(0, Math.min(200, body.length()))));
        }
        try {
            JsonObject json = body == null ? null : body.toJsonObject();
            if (json == null) {
                throw new TractorException(0, what + ": empty reply");
            }
            Object rc = json.getValue("rc");
            if (rc instanceof Number n && n.intValue() != 0) {
                throw new TractorException(200, what + ": rc " + n + " " + json.getString("msg", ""));
            }
            return json;
        } catch (DecodeException | ClassCastException e) {
            throw new TractorException(0, what + ": reply is not a JSON object");
        }
    }
}
