package dev.drover.coordinator.faults;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A managed-identity token endpoint as App Service offers it ({@code IDENTITY_ENDPOINT} + {@code IDENTITY_HEADER},
 * api-version 2019-08-01), so that the real coordinator jar's DefaultAzureCredential gets a token for the fake
 * ARM without any change to the product. Refuses requests without the header, as the real one does.
 */
public final class FakeIdentity implements AutoCloseable {
    static final String HEADER = "faults-identity-header";
    public static final String TOKEN = "faults-arm-token";
    private final HttpServer server;

    public FakeIdentity() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/msi/token", exchange -> {
            boolean ok = HEADER.equals(exchange.getRequestHeaders().getFirst("X-IDENTITY-HEADER"))
                    && exchange.getRequestURI().getQuery() != null
                    && exchange.getRequestURI().getQuery().contains("resource=");
            byte[] body = (ok ? new JsonObject().put("access_token", TOKEN)
                    .put("expires_on", String.valueOf(System.currentTimeMillis() / 1000 + 3600))
                    .put("resource", "https://management.azure.com/").put("token_type", "Bearer").put("client_id", "faults")
                    : new JsonObject().put("error", "missing X-IDENTITY-HEADER")).encode().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(ok ? 200 : 400, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    /** The environment that points a coordinator's DefaultAzureCredential here. */
    public Map<String, String> env() {
        return Map.of("IDENTITY_ENDPOINT", "http://127.0.0.1:" + server.getAddress().getPort() + "/msi/token",
                "IDENTITY_HEADER", HEADER);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
