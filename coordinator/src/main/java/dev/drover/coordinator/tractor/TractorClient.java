package dev.drover.coordinator.tractor;

import dev.drover.coordinator.queue.QueueView;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Talks to the Tractor engine's URL API (specs/tractor-and-cyclecloud.md §1): login for a {@code tsid}, queue
 * depth per service key, NIMBY, {@code ejectall}, {@code delist}. Every call has a timeout; every failure is a
 * failed future with a {@link TractorException}, never a half-read answer.
 */
public final class TractorClient {
    private static final int MAX_REPLY_BYTES = 8 * 1024 * 1024;

    private final WebClient web;
    private final String host;
    private final int port;
    private final String user;
    private final long timeoutMillis;
    private volatile String tsid;

    public TractorClient(WebClient web, String host, int port, String user, long timeoutMillis) {
        this.web = web;
        this.host = host;
        this.port = port;
        this.user = user;
        this.timeoutMillis = timeoutMillis;
    }

    public Future<Void> login() {
        return call("monitor", MultiMap.caseInsensitiveMultiMap().add("q", "login").add("user", user)).map(r -> {
            String t = r.getString("tsid");
            if (!"ok".equals(r.getString("login")) || t == null || t.isEmpty()) {
                throw new TractorException(0, "login refused: " + r.encode());
            }
            tsid = t;
            return null;
        });
    }

    /** Ready and active tasks per service key (lower-case: Tractor matches keys case-insensitively). */
    public Future<Map<String, QueueView.Counts>> queue() {
        return select("ready").compose(ready -> select("active").map(active -> {
            Map<String, QueueView.Counts> counts = new LinkedHashMap<>();
            ready.forEach((k, n) -> counts.merge(k, new QueueView.Counts(n, 0), TractorClient::add));
            active.forEach((k, n) -> counts.merge(k, new QueueView.Counts(0, n), TractorClient::add));
            return counts;
        }));
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

    private Future<Map<String, Integer>> select(String state) {
        String sql = "tractorselect('Task','state=" + state + "','jid,tid,service','',NULL,'f','None')";
        return call("db", MultiMap.caseInsensitiveMultiMap().add("q", sql)).map(r -> {
            JsonArray rows = r.getJsonArray("rows");
            if (rows == null) {
                throw new TractorException(0, "db reply without rows");
            }
            Map<String, Integer> byKey = new LinkedHashMap<>();
            for (Object o : rows) {
                if (!(o instanceof JsonObject row) || !(row.getValue("service") instanceof String key)) {
                    throw new TractorException(0, "db row without a service key: " + o);
                }
                byKey.merge(key.toLowerCase(Locale.ROOT), 1, Integer::sum);
            }
            return byKey;
        });
    }

    public Future<JsonArray> blades() {
        return call("monitor", MultiMap.caseInsensitiveMultiMap().add("q", "blades")).map(r -> {
            JsonArray b = r.getJsonArray("blades");
            if (b == null) {
                throw new TractorException(0, "blades reply without blades");
            }
            return b;
        });
    }

    /** NIMBY on stops the engine giving the blade work; running tasks carry on (§2.6). */
    public Future<Void> nimby(String bladeId, boolean on) {
        return control("ctrl", MultiMap.caseInsensitiveMultiMap().add("q", "battribute").add("b", bladeId)
                .add("nimby", on ? "1" : "0"));
    }

    /** Stops the blade's active tasks and puts them back in the queue now. */
    public Future<Void> ejectAll(String bladeHost) {
        return control("queue", MultiMap.caseInsensitiveMultiMap().add("q", "ejectall").add("blade", bladeHost));
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
        return web.post(port, host, "/Tractor/" + verb).timeout(timeoutMillis).sendForm(form)
                .recover(e -> Future.failedFuture(new TractorException(0, verb + ": " + e.getMessage())))
                .map(r -> parse(verb, form.get("q"), r));
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

    private static QueueView.Counts add(QueueView.Counts a, QueueView.Counts b) {
        return new QueueView.Counts(a.ready() + b.ready(), a.active() + b.active());
    }
}
