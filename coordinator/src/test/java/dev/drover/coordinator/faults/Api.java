package dev.drover.coordinator.faults;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The coordinator's public HTTP API (README, "HTTP API"), as the fault tests read it; open API on loopback. */
final class Api {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
            .proxy(HttpClient.Builder.NO_PROXY).build();
    private final String base;

    Api(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A POST is never retried (a job would be queued twice), so it waits long: submitting a 300-task job to a
     * coordinator serving 1,000 agents held its API for 15 s on the loaded build machine.
     */
    HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    boolean healthy() {
        try {
            return get("/healthz").statusCode() == 200;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    JsonObject json(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = get(path);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + " -> " + r.statusCode() + ": " + r.body());
        }
        return new JsonObject(r.body());
    }

    List<JsonObject> nodes() throws IOException, InterruptedException {
        return objects(json("/api/nodes").getJsonArray("nodes"));
    }

    Optional<JsonObject> node(String id) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/api/nodes/" + id);
        return r.statusCode() == 200 ? Optional.of(new JsonObject(r.body())) : Optional.empty();
    }

    String state(String id) throws IOException, InterruptedException {
        return node(id).map(n -> n.getString("state")).orElse("ABSENT");
    }

    /** The built-in queue's tasks (GET /api/jobs). */
    List<JsonObject> queueTasks() throws IOException, InterruptedException {
        return objects(json("/api/jobs").getJsonArray("tasks"));
    }

    /** Every timeline event so far (GET /api/timeline). */
    List<JsonObject> timeline() throws IOException, InterruptedException {
        return objects(json("/api/timeline").getJsonArray("events"));
    }

    /** Submits a job; its jid. */
    long submit(JsonObject job) throws IOException, InterruptedException {
        HttpResponse<String> r = post("/api/jobs", job.encode());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("POST /api/jobs -> " + r.statusCode() + ": " + r.body());
        }
        return new JsonObject(r.body()).getLong("jid");
    }

    static List<JsonObject> objects(JsonArray a) {
        List<JsonObject> out = new ArrayList<>();
        if (a != null) {
            a.forEach(o -> out.add((JsonObject) o));
        }
        return out;
    }
}
