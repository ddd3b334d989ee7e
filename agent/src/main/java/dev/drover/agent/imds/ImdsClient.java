package dev.drover.agent.imds;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Talks to the Azure Instance Metadata Service: instance metadata, Scheduled Events, and event approval.
 * Every request carries {@code Metadata: true}, bypasses any HTTP proxy (IMDS must be reached directly), and
 * has a short timeout, because a stuck request must not delay the next eviction poll.
 */
public final class ImdsClient {
    public static final String DEFAULT_BASE_URL = "http://169.254.169.254";
    static final String INSTANCE_API_VERSION = "2021-12-13";
    static final String EVENTS_API_VERSION = "2020-07-01";
    static final String ATTESTED_API_VERSION = "2020-09-01";

    private final URI base;
    private final Duration timeout;
    private final HttpClient http;

    public ImdsClient(String baseUrl, Duration timeout) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .proxy(HttpClient.Builder.NO_PROXY)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    public InstanceMetadata instance() throws ImdsException, InterruptedException {
        return ImdsJson.instance(get("/metadata/instance?api-version=" + INSTANCE_API_VERSION));
    }

    public ScheduledEvents scheduledEvents() throws ImdsException, InterruptedException {
        return ImdsJson.scheduledEvents(get("/metadata/scheduledevents?api-version=" + EVENTS_API_VERSION));
    }

    /**
     * The VM's attested document for {@code nonce} (10 digits): the PKCS#7 {@code signature} field, base64, which
     * names this VM and the nonce, signed by Azure (GET /metadata/attested/document).
     */
    public String attestedDocument(String nonce) throws ImdsException, InterruptedException {
        return ImdsJson.attestedSignature(get("/metadata/attested/document?api-version=" + ATTESTED_API_VERSION
                + "&nonce=" + java.net.URLEncoder.encode(nonce, StandardCharsets.UTF_8)));
    }

    /** Approves events so Azure may start them before NotBefore (specs/azure.md §1.5). */
    public void approve(List<String> eventIds) throws ImdsException, InterruptedException {
        HttpRequest request = request("/metadata/scheduledevents?api-version=" + EVENTS_API_VERSION)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ImdsJson.requestBody(eventIds)))
                .build();
        send(request);
    }

    private String get(String pathAndQuery) throws ImdsException, InterruptedException {
        return send(request(pathAndQuery).GET().build());
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(timeout).header("Metadata", "true");
    }

    private String send(HttpRequest request) throws ImdsException, InterruptedException {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ImdsException(request.method() + " " + request.uri().getPath() + ": " + e, e);
        }
        if (response.statusCode() != 200) {
            String body = response.body();
            throw new ImdsException(response.statusCode(), request.method() + " " + request.uri().getPath() + ": HTTP "
                    + response.statusCode() + " " + body.substring(0, Math.min(200, body.length())));
        }
        return response.body();
    }
}
