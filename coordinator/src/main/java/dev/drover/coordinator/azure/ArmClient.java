package dev.drover.coordinator.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.provision.ScaleSetException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Azure Resource Manager over REST (specs/azure.md §2): bearer tokens, the api-version, long-running
 * operations followed to the end through {@code Azure-AsyncOperation} (else {@code Location}), throttling
 * honoured — a 429's {@code Retry-After} holds back every request until it passes, since a request sent
 * early only earns a new one — and transient 5xx retried. Only idempotent calls are made (GET, PATCH of an
 * absolute capacity, POST delete of named instances), so a retry can never double an action.
 */
public final class ArmClient {
    private static final Logger LOGGER = LoggerFactory.getLogger(ArmClient.class);
    static final int MAX_ATTEMPTS = 4;
    static final Duration MAX_OPERATION = Duration.ofMinutes(30);
    static final long MIN_POLL_MILLIS = 200;
    static final long DEFAULT_POLL_MILLIS = 2000;

    /** A response ARM sent, with the headers orchestration cares about. */
    public record ArmResponse(int status, MultiMap headers, JsonObject body) {
    }

    private final Vertx vertx;
    private final WebClient web;
    private final String endpoint;
    private final String apiVersion;
    private final Supplier<Future<String>> tokens;
    private volatile Instant throttledUntil = Instant.EPOCH;
    private final Map<String, String> remaining = new ConcurrentHashMap<>();

    /** @param tokens a bearer token for ARM each time one is needed (cached by the credential) */
    public ArmClient(Vertx vertx, CoordinatorConfig.Azure config, Supplier<Future<String>> tokens) {
        this.vertx = vertx;
        this.web = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(10_000).setIdleTimeout(60)
                .setFollowRedirects(false));
        this.endpoint = config.armEndpoint().replaceAll("/+$", "");
        this.apiVersion = config.apiVersion();
        this.tokens = tokens;
    }

    /** Production: DefaultAzureCredential (the head node's managed identity; az login on a workstation). */
    public static ArmClient withDefaultCredential(Vertx vertx, CoordinatorConfig.Azure config) {
        TokenCredential credential = new DefaultAzureCredentialBuilder().build();
        TokenRequestContext scope = new TokenRequestContext().addScopes("https://management.azure.com/.default");
        return new ArmClient(vertx, config, () -> {
            Promise<String> p = Promise.promise();
            credential.getToken(scope).subscribe(t -> p.tryComplete(t.getToken()),
                    e -> p.tryFail(new ScaleSetException(0, "CredentialUnavailable",
                            "no Azure token for ARM: " + e.getMessage())));
            return p.future();
        });
    }

    public String apiVersion() {
        return apiVersion;
    }

    /** The latest {@code x-ms-ratelimit-remaining-*} headers seen, by header name. */
    public Map<String, String> rateLimitRemaining() {
        return Map.copyOf(remaining);
    }

    /** A call that may be long-running: completes when the operation has finished (or failed). */
    public Future<ArmResponse> operation(HttpMethod method, String path, JsonObject body) {
        return call(method, url(path), body, 1).compose(r -> {
            if (r.status() >= 300) {
                return Future.failedFuture(error(r, method + " " + path));
            }
            String async = r.headers().get("Azure-AsyncOperation");
            String location = r.headers().get("Location");
            if (async != null) {
                return poll(async, true, retryAfterMillis(r), Instant.now().plus(MAX_OPERATION)).map(v -> r);
            }
            if (location != null && (r.status() == 201 || r.status() == 202)) {
                return poll(location, false, retryAfterMillis(r), Instant.now().plus(MAX_OPERATION)).map(v -> r);
            }
            return Future.succeededFuture(r);
        });
    }

    /**
     * A read; follows nothing, fails on any non-2xx. An absolute URL (a page's {@code nextLink}) must point at
     * the ARM endpoint itself: the bearer token goes wherever we send the request.
     */
    public Future<ArmResponse> get(String pathOrUrl) {
        boolean absolute = pathOrUrl.regionMatches(true, 0, "http:", 0, 5)
                || pathOrUrl.regionMatches(true, 0, "https:", 0, 6) || pathOrUrl.startsWith("//");
        if (absolute && !pathOrUrl.startsWith(endpoint + "/")) {
            return Future.failedFuture(new ScaleSetException(0, "UnexpectedNextLink",
                    "ARM named a URL outside " + endpoint + " (" + hostOf(pathOrUrl) + "); not following it"));
        }
        if (!absolute && !pathOrUrl.startsWith("/")) {
            return Future.failedFuture(new ScaleSetException(0, "UnexpectedNextLink",
                    "not an ARM path or URL; not following it"));
        }
        String u = absolute ? pathOrUrl : url(pathOrUrl);
        return call(HttpMethod.GET, u, null, 1).compose(r -> r.status() >= 300
                ? Future.failedFuture(error(r, "GET " + pathOrUrl)) : Future.succeededFuture(r));
    }

    private static String hostOf(String url) {
        try {
            return String.valueOf(java.net.URI.create(url).getHost());
        } catch (IllegalArgumentException e) {
            return "unparseable";
        }
    }

    private Future<Void> poll(String url, boolean asyncOperation, long waitMillis, Instant giveUpAt) {
        if (!url.startsWith(endpoint + "/")) {
            // the token goes wherever we poll: only ever to ARM itself
            return Future.failedFuture(new ScaleSetException(0, "UnexpectedOperationUrl",
                    "ARM named an operation URL outside " + endpoint + "; not following it"));
        }
        if (Instant.now().isAfter(giveUpAt)) {
            return Future.failedFuture(new ScaleSetException(0, "OperationTimeout",
                    "long-running operation still running after " + MAX_OPERATION.toMinutes() + " min: " + url));
        }
        Promise<Void> done = Promise.promise();
        vertx.setTimer(Math.max(MIN_POLL_MILLIS, waitMillis), t -> call(HttpMethod.GET, url, null, 1).onComplete(ar -> {
            if (ar.failed()) {
                done.fail(ar.cause());
                return;
            }
            ArmResponse r = ar.result();
            if (r.status() >= 300) {
                done.fail(error(r, "polling " + url));
                return;
            }
            if (asyncOperation) {
                String status = r.body() != null ? r.body().getString("status", "") : "";
                switch (status) {
                    case "Succeeded" -> done.complete();
                    case "Failed", "Canceled" -> done.fail(operationError(r.body(), status));
                    default -> poll(url, true, retryAfterMillis(r), giveUpAt).onComplete(done);
                }
            } else if (r.status() == 202) {
                poll(url, false, retryAfterMillis(r), giveUpAt).onComplete(done);
            } else {
                done.complete(); // Location: 200 or 204 ends it
            }
        }));
        return done.future();
    }

    private Future<ArmResponse> call(HttpMethod method, String url, JsonObject body, int attempt) {
        long wait = Duration.between(Instant.now(), throttledUntil).toMillis();
        if (wait > 0) {
            return Future.failedFuture(new ScaleSetException(429, "TooManyRequests",
                    "ARM throttled this client; next request allowed in " + (wait + 999) / 1000 + " s"));
        }
        return tokens.get().compose(token -> {
            HttpRequest<Buffer> req = web.requestAbs(method, url).timeout(30_000)
                    .putHeader("Authorization", "Bearer " + token).putHeader("Accept", "application/json");
            Future<HttpResponse<Buffer>> sent = body == null ? req.send() : req.sendJsonObject(body);
            return sent.transform(ar -> {
                if (ar.failed()) {
                    return retry(method, url, body, attempt, "request failed: " + ar.cause().getMessage(), 0);
                }
                HttpResponse<Buffer> resp = ar.result();
                readRateLimits(resp.headers());
                ArmResponse r = new ArmResponse(resp.statusCode(), resp.headers(), json(resp.bodyAsBuffer()));
                if (r.status() == 429) {
                    long after = retryAfterMillis(r);
                    throttledUntil = Instant.now().plusMillis(Math.max(after, 1000));
                    LOGGER.atWarn().addKeyValue("retryAfterSeconds", after / 1000).log("ARM throttled us (429)");
                    return after <= 10_000 ? retry(method, url, body, attempt, "throttled", after)
                            : Future.failedFuture(error(r, method + " " + url));
                }
                if (r.status() >= 500 && r.status() != 501 && r.status() != 505) {
                    return retry(method, url, body, attempt, "ARM answered " + r.status(), retryAfterMillis(r));
                }
                return Future.succeededFuture(r);
            });
        });
    }

    private Future<ArmResponse> retry(HttpMethod method, String url, JsonObject body, int attempt, String why,
            long afterMillis) {
        if (attempt >= MAX_ATTEMPTS) {
            return Future.failedFuture(new ScaleSetException(0, "RetriesExhausted", why + " (" + attempt
                    + " attempts): " + method + " " + url));
        }
        long delay = Math.max(afterMillis, 500L << (attempt - 1));
        Promise<ArmResponse> p = Promise.promise();
        vertx.setTimer(delay + 50, t -> call(method, url, body, attempt + 1).onComplete(p));
        return p.future();
    }

    private void readRateLimits(MultiMap headers) {
        headers.forEach((name, value) -> {
            if (name.toLowerCase(java.util.Locale.ROOT).startsWith("x-ms-ratelimit-remaining")) {
                remaining.merge(name.toLowerCase(java.util.Locale.ROOT), value, (a, b) -> b);
                try {
                    int left = Integer.parseInt(value.contains(";") ? value.substring(value.lastIndexOf(';') + 1)
                            : value);
                    if (left < 10) {
                        LOGGER.atWarn().addKeyValue("header", name).addKeyValue("remaining", left)
                                .log("close to ARM's request limit");
                    }
                } catch (NumberFormatException ignored) {
                    // some headers list several policies; they are kept as text for the API
                }
            }
        });
    }

    static long retryAfterMillis(ArmResponse r) {
        String v = r.headers().get("Retry-After");
        if (v == null) {
            return DEFAULT_POLL_MILLIS;
        }
        try {
            return Math.min(3_600_000, Math.max(0, Long.parseLong(v.trim()) * 1000));
        } catch (NumberFormatException e) {
            return DEFAULT_POLL_MILLIS; // HTTP-date form: rare from ARM; poll at the default pace
        }
    }

    private static ScaleSetException error(ArmResponse r, String what) {
        JsonObject e = r.body() != null ? r.body().getJsonObject("error", r.body()) : new JsonObject();
        String code = e.getString("code", "");
        return new ScaleSetException(r.status(), code, what + " -> " + r.status() + (code.isEmpty() ? "" : " " + code)
                + (e.getString("message") != null ? ": " + e.getString("message") : ""));
    }

    private static ScaleSetException operationError(JsonObject body, String status) {
        JsonObject e = body.getJsonObject("error", new JsonObject());
        return new ScaleSetException(200, e.getString("code", status), "operation " + status + ": "
                + e.getString("message", "(no message)"));
    }

    private static JsonObject json(Buffer b) {
        if (b == null || b.length() == 0) {
            return null;
        }
        try {
            return b.toJsonObject();
        } catch (DecodeException | ClassCastException e) {
            return new JsonObject().put("error", new JsonObject().put("code", "InvalidJson")
                    .put("message", "ARM sent something that is not a JSON object (" + b.length() + " bytes)"));
        }
    }

    private String url(String path) {
        return endpoint + path + (path.contains("?") ? "&" : "?") + "api-version=" + apiVersion;
    }
}
