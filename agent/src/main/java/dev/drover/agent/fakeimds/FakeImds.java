package dev.drover.agent.fakeimds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;

/**
 * A stand-in for Azure IMDS that is as strict as the real one (specs/azure.md §1): {@code Metadata: true}
 * required (400), {@code X-Forwarded-For} refused (400), a missing or unknown api-version refused (400),
 * more than 5 requests a second refused (429), {@code DocumentIncarnation} bumped on every change,
 * {@code NotBefore} in RFC 1123 and {@code ""} once Started, events that start at NotBefore or on approval
 * and vanish after a while, and events naming other VMs. Tests and the demo drive it through {@code /fake/*}.
 * For tests and demos only: it listens on loopback.
 */
public final class FakeImds implements AutoCloseable {
    static final Set<String> INSTANCE_VERSIONS = Set.of("2021-12-13", "2023-07-01", "2023-11-15", "2024-03-15",
            "2024-07-17", "2025-04-07");
    static final Set<String> EVENTS_VERSIONS = Set.of("2019-01-01", "2019-04-01", "2019-08-01", "2020-07-01");
    /** Versions the attested endpoint takes (IMDS doc, "Attested data"). */
    static final Set<String> ATTESTED_VERSIONS = Set.of("2018-10-01", "2019-03-11", "2019-08-15", "2020-09-01",
            "2021-01-01", "2021-12-13", "2023-07-01", "2025-04-07");
    /** Azure's timeStamp format in attested documents. */
    static final DateTimeFormatter ATTESTED_TIME = DateTimeFormatter.ofPattern("MM/dd/yy HH:mm:ss Z", java.util.Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    static final int RATE_LIMIT_PER_SECOND = 5;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter RFC_1123 = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private final Map<String, String> compute;
    private final Clock clock;
    private final Duration startedLinger;
    private final HttpServer server;
    private final Map<String, FakeEvent> events = new LinkedHashMap<>();
    private final ArrayDeque<Instant> recent = new ArrayDeque<>();
    private final List<String> approvals = new ArrayList<>();
    private long incarnation = 1;
    private int failuresToInject;
    private String failureMode = "500";
    private long throttled;
    private long served;
    private AttestedSigner signer;

    /**
     * @param compute instance metadata {@code compute} fields (all strings, as IMDS sends them)
     * @param startedLinger how long a Started event stays before it vanishes (Azure: about 10 minutes)
     */
    public FakeImds(int port, Map<String, String> compute, Duration startedLinger, Clock clock) throws IOException {
        this.compute = Map.copyOf(compute);
        this.clock = clock;
        this.startedLinger = startedLinger;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fake-imds");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/metadata/", this::handleImds);
        server.createContext("/fake/", this::handleControl);
        server.start();
    }

    /** Signs attested documents with {@code signer} (one test root for several fake VMs). */
    public synchronized void attestWith(AttestedSigner signer) {
        this.signer = signer;
    }

    /** The signer of attested documents (created on first use unless one was given). */
    public synchronized AttestedSigner signer() {
        if (signer == null) {
            signer = AttestedSigner.create(AttestedSigner.SIGNER_NAME, clock.instant());
        }
        return signer;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    // ---- test and demo controls -------------------------------------------------------------------

    /** Schedules an event; returns its id. */
    public synchronized String schedule(String type, List<String> resources, Duration notice, String description) {
        String id = UUID.randomUUID().toString().toUpperCase();
        events.put(id, new FakeEvent(id, type, resources, description, clock.instant().plus(notice)));
        incarnation++;
        return id;
    }

    public synchronized void start(String eventId) {
        FakeEvent e = events.get(eventId);
        if (e != null && e.status.equals("Scheduled")) {
            e.status = "Started";
            e.startedAt = clock.instant();
            incarnation++;
        }
    }

    /** Azure cancelled it, or it finished: the event simply disappears. */
    public synchronized void remove(String eventId) {
        if (events.remove(eventId) != null) {
            incarnation++;
        }
    }

    /** The next {@code count} IMDS requests fail: mode is an HTTP status, "garbage", "truncated" or "slow". */
    public synchronized void failNext(int count, String mode) {
        failuresToInject = count;
        failureMode = mode;
    }

    /** Injected failures still to come. */
    public synchronized int failuresLeft() {
        return failuresToInject;
    }

    public synchronized List<String> approvals() {
        return List.copyOf(approvals);
    }

    public synchronized long throttledCount() {
        return throttled;
    }

    public synchronized long servedCount() {
        return served;
    }

    // ---- IMDS --------------------------------------------------------------------------------------

    private void handleImds(HttpExchange ex) throws IOException {
        try (ex) {
            Response r;
            synchronized (this) {
                r = imds(ex);
            }
            if (r.delayMillis > 0) {
                sleep(r.delayMillis);
            }
            send(ex, r.status, r.body);
        }
    }

    private Response imds(HttpExchange ex) throws IOException {
        Instant now = clock.instant();
        advance(now);
        if (!"true".equals(ex.getRequestHeaders().getFirst("Metadata"))) {
            return Response.error(400, "Bad request. Required metadata header not specified");
        }
        if (ex.getRequestHeaders().containsKey("X-Forwarded-For")) {
            return Response.error(400, "Bad request. Requests with X-Forwarded-For are not allowed");
        }
        if (overRateLimit(now)) {
            throttled++;
            return Response.error(429, "Too many requests");
        }
        if (failuresToInject > 0) {
            failuresToInject--;
            return injectedFailure();
        }
        Map<String, List<String>> query = query(ex.getRequestURI());
        if (query.values().stream().anyMatch(v -> v.size() > 1)) {
            return Response.error(400, "Bad request. Duplicate query parameter");
        }
        String version = query.getOrDefault("api-version", List.of("")).get(0);
        String path = ex.getRequestURI().getPath();
        served++;
        if (path.equals("/metadata/instance") || path.equals("/metadata/instance/compute")) {
            if (!INSTANCE_VERSIONS.contains(version)) {
                return badVersion(INSTANCE_VERSIONS);
            }
            if (!ex.getRequestMethod().equals("GET")) {
                return Response.error(405, "Method not allowed");
            }
            ObjectNode computeJson = JSON.createObjectNode();
            compute.forEach((k, v) -> {
                if (k.equals("computerName")) {
                    computeJson.putObject("osProfile").put("computerName", v);
                } else {
                    computeJson.put(k, v);
                }
            });
            JsonNode body = path.endsWith("/compute") ? computeJson
                    : JSON.createObjectNode().<ObjectNode>set("compute", computeJson);
            return new Response(200, body.toString(), 0);
        }
        if (path.equals("/metadata/attested/document")) {
            if (!ATTESTED_VERSIONS.contains(version)) {
                return badVersion(ATTESTED_VERSIONS);
            }
            if (!ex.getRequestMethod().equals("GET")) {
                return Response.error(405, "Method not allowed");
            }
            String nonce = query.getOrDefault("nonce", List.of("")).get(0);
            if (query.containsKey("nonce") && !nonce.matches("[0-9]{10}")) {
                return Response.error(400, "Bad request. The nonce must be a 10-digit string");
            }
            return new Response(200, attested(nonce, now), 0);
        }
        if (path.equals("/metadata/scheduledevents")) {
            if (!EVENTS_VERSIONS.contains(version)) {
                return badVersion(EVENTS_VERSIONS);
            }
            if (ex.getRequestMethod().equals("GET")) {
                return new Response(200, document(), 0);
            }
            if (ex.getRequestMethod().equals("POST")) {
                return approve(ex.getRequestBody(), now);
            }
            return Response.error(405, "Method not allowed");
        }
        return Response.error(404, "Not found");
    }

    /**
     * {"encoding":"pkcs7","signature":...}: the VM's identity and the nonce (or, without one, the time as
     * yyyyMMdd-HHmmss, as Azure does), valid for six hours, signed.
     */
    private String attested(String nonce, Instant now) {
        String resourceId = compute.getOrDefault("resourceId", "");
        String[] parts = resourceId.split("/");
        String subscription = parts.length > 2 && parts[1].equalsIgnoreCase("subscriptions") ? parts[2] : "";
        ObjectNode doc = JSON.createObjectNode();
        doc.put("licenseType", "");
        doc.put("nonce", nonce.isEmpty() ? DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)
                .format(now) : nonce);
        doc.putObject("plan").put("name", "").put("product", "").put("publisher", "");
        doc.put("sku", "");
        doc.put("subscriptionId", subscription);
        doc.putObject("timeStamp").put("createdOn", ATTESTED_TIME.format(now))
                .put("expiresOn", ATTESTED_TIME.format(now.plus(Duration.ofHours(6))));
        doc.put("vmId", compute.getOrDefault("vmId", ""));
        ObjectNode body = JSON.createObjectNode();
        body.put("encoding", "pkcs7");
        body.put("signature", signer().sign(doc.toString()));
        return body.toString();
    }

    /** Scheduled events start at NotBefore; started ones vanish after the linger time. */
    private void advance(Instant now) {
        boolean changed = false;
        for (var it = events.values().iterator(); it.hasNext();) {
            FakeEvent e = it.next();
            if (e.status.equals("Scheduled") && !now.isBefore(e.notBefore)) {
                e.status = "Started";
                e.startedAt = now;
                changed = true;
            } else if (e.status.equals("Started") && !now.isBefore(e.startedAt.plus(startedLinger))) {
                it.remove();
                changed = true;
            }
        }
        if (changed) {
            incarnation++;
        }
    }

    private boolean overRateLimit(Instant now) {
        while (!recent.isEmpty() && recent.peekFirst().isBefore(now.minusSeconds(1))) {
            recent.removeFirst();
        }
        if (recent.size() >= RATE_LIMIT_PER_SECOND) {
            return true;
        }
        recent.addLast(now);
        return false;
    }

    private Response injectedFailure() {
        return switch (failureMode) {
            case "garbage" -> new Response(200, "<html>502 Bad Gateway</html>", 0);
            case "truncated" -> new Response(200, "{\"DocumentIncarnation\": 3, \"Events\": [{\"EventId\": \"A", 0);
            case "slow" -> new Response(200, document(), 3_000); // longer than any sane client timeout
            default -> Response.error(Integer.parseInt(failureMode), "injected failure");
        };
    }

    private String document() {
        ObjectNode root = JSON.createObjectNode();
        root.put("DocumentIncarnation", incarnation);
        ArrayNode array = root.putArray("Events");
        for (FakeEvent e : events.values()) {
            ObjectNode o = array.addObject();
            o.put("EventId", e.id);
            o.put("EventStatus", e.status);
            o.put("EventType", e.type);
            o.put("ResourceType", "VirtualMachine");
            ArrayNode resources = o.putArray("Resources");
            e.resources.forEach(resources::add);
            o.put("NotBefore", e.status.equals("Scheduled") ? RFC_1123.format(e.notBefore) : "");
            o.put("Description", e.description);
            o.put("EventSource", "Platform");
            o.put("DurationInSeconds", e.type.equals("Freeze") ? 5 : -1);
        }
        return root.toString();
    }

    private Response approve(InputStream body, Instant now) throws IOException {
        JsonNode request;
        try {
            request = JSON.readTree(body.readNBytes(64 * 1024));
        } catch (IOException e) {
            return Response.error(400, "Bad request. Body is not JSON");
        }
        JsonNode starts = request == null ? null : request.get("StartRequests");
        if (starts == null || !starts.isArray() || starts.isEmpty()) {
            return Response.error(400, "Bad request. StartRequests required");
        }
        Set<String> ids = new HashSet<>();
        for (JsonNode s : starts) {
            JsonNode id = s.get("EventId");
            if (id == null || !id.isTextual() || !events.containsKey(id.asText())) {
                return Response.error(400, "Bad request. Unknown EventId");
            }
            ids.add(id.asText());
        }
        for (String id : ids) {
            approvals.add(id);
            FakeEvent e = events.get(id);
            if (e.status.equals("Scheduled")) {
                e.status = "Started";
                e.startedAt = now;
                incarnation++;
            }
        }
        return new Response(200, "", 0);
    }

    private static Response badVersion(Set<String> versions) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", "Bad request. api-version is invalid or was not specified in the request.");
        ArrayNode newest = o.putArray("newest-versions");
        versions.stream().sorted().forEach(newest::add);
        return new Response(400, o.toString(), 0);
    }

    // ---- control API -------------------------------------------------------------------------------

    private void handleControl(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            try {
                if (path.equals("/fake/events") && method.equals("POST")) {
                    JsonNode req = JSON.readTree(ex.getRequestBody().readNBytes(64 * 1024));
                    List<String> resources = new ArrayList<>();
                    req.path("resources").forEach(r -> resources.add(r.asText()));
                    String id = schedule(req.path("type").asText("Preempt"), resources,
                            Duration.ofSeconds(req.path("notBeforeSeconds").asLong(30)),
                            req.path("description").asText(""));
                    send(ex, 200, JSON.createObjectNode().put("eventId", id).toString());
                } else if (path.startsWith("/fake/events/") && path.endsWith("/start") && method.equals("POST")) {
                    start(path.substring("/fake/events/".length(), path.length() - "/start".length()));
                    send(ex, 200, "{}");
                } else if (path.startsWith("/fake/events/") && method.equals("DELETE")) {
                    remove(path.substring("/fake/events/".length()));
                    send(ex, 200, "{}");
                } else if (path.equals("/fake/fail") && method.equals("POST")) {
                    JsonNode req = JSON.readTree(ex.getRequestBody().readNBytes(4096));
                    failNext(req.path("count").asInt(1), req.path("mode").asText("500"));
                    send(ex, 200, "{}");
                } else if (path.equals("/fake/state") && method.equals("GET")) {
                    ObjectNode o = JSON.createObjectNode();
                    synchronized (this) {
                        o.put("incarnation", incarnation).put("served", served).put("throttled", throttled);
                        ArrayNode a = o.putArray("approvals");
                        approvals.forEach(a::add);
                    }
                    send(ex, 200, o.toString());
                } else {
                    send(ex, 404, "{\"error\":\"no such control\"}");
                }
            } catch (RuntimeException e) {
                send(ex, 400, JSON.createObjectNode().put("error", String.valueOf(e.getMessage())).toString());
            }
        }
    }

    // ---- plumbing ----------------------------------------------------------------------------------

    private static Map<String, List<String>> query(URI uri) {
        Map<String, List<String>> q = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            q.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return q;
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private record Response(int status, String body, long delayMillis) {
        static Response error(int status, String message) {
            return new Response(status, JSON.createObjectNode().put("error", message).toString(), 0);
        }
    }
}
