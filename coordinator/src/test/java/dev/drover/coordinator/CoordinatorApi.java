package dev.drover.coordinator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** A small blocking client of the coordinator's HTTP API for integration tests. */
final class CoordinatorApi {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String token;

    CoordinatorApi(int port) {
        this(port, null);
    }

    /** @param token sent as a bearer token on every request (null: none) */
    CoordinatorApi(int port, String token) {
        this.base = "http://127.0.0.1:" + port;
        this.token = token;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET());
    }

    HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonObject json(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = get(path);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + " -> " + r.statusCode() + ": " + r.body());
        }
        return new JsonObject(r.body());
    }

    boolean healthy() {
        try {
            return get("/healthz").statusCode() == 200;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    JsonArray nodes() throws IOException, InterruptedException {
        return new JsonObject(get("/api/nodes").body()).getJsonArray("nodes");
    }

    Optional<JsonObject> node(String id) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/api/nodes/" + id);
        return r.statusCode() == 200 ? Optional.of(new JsonObject(r.body())) : Optional.empty();
    }

    String state(String id) throws IOException, InterruptedException {
        return node(id).map(n -> n.getString("state")).orElse("ABSENT");
    }
}
