package dev.drover.agent.fakeimds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fake IMDS keeps the real service's rules, so code tested against it works against Azure. */
class FakeImdsIT {
    private static final String EVENTS = "/metadata/scheduledevents?api-version=2020-07-01";
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private final ObjectMapper json = new ObjectMapper();
    private FakeImds imds;

    @BeforeEach
    void start() throws Exception {
        imds = new FakeImds(0, Map.of("name", "vm_1", "computerName", "vm000001"), Duration.ofMillis(300),
                Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        imds.close();
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(imds.baseUrl() + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode events() throws Exception {
        HttpResponse<String> r = get(EVENTS, "Metadata", "true");
        assertThat(r.statusCode()).isEqualTo(200);
        return json.readTree(r.body());
    }

    @Test
    void requiresTheMetadataHeaderAndRefusesForwardedRequests() throws Exception {
        assertThat(get(EVENTS).statusCode()).isEqualTo(400);
        assertThat(get(EVENTS, "Metadata", "True").statusCode()).as("must be lower-case true").isEqualTo(400);
        assertThat(get(EVENTS, "Metadata", "true", "X-Forwarded-For", "10.0.0.9").statusCode()).isEqualTo(400);
        assertThat(get(EVENTS, "Metadata", "true").statusCode()).isEqualTo(200);
    }

    @Test
    void attestedDocumentIsAsStrictAsAzuresAndSignsTheNonce() throws Exception {
        String path = "/metadata/attested/document?api-version=2020-09-01&nonce=0123456789";
        assertThat(get(path).statusCode()).as("Metadata header").isEqualTo(400);
        assertThat(get("/metadata/attested/document?nonce=0123456789", "Metadata", "true").statusCode())
                .as("api-version").isEqualTo(400);
        assertThat(get("/metadata/attested/document?api-version=2020-09-01&nonce=12ab", "Metadata", "true")
                .statusCode()).as("nonce must be 10 digits").isEqualTo(400);
        Thread.sleep(1100); // stay under the rate limit

        HttpResponse<String> r = get(path, "Metadata", "true");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json.readTree(r.body());
        assertThat(body.path("encoding").asText()).isEqualTo("pkcs7");
        org.bouncycastle.cms.CMSSignedData cms = new org.bouncycastle.cms.CMSSignedData(
                java.util.Base64.getDecoder().decode(body.path("signature").asText()));
        JsonNode content = json.readTree((byte[]) cms.getSignedContent().getContent());
        assertThat(content.path("nonce").asText()).isEqualTo("0123456789");
        assertThat(content.path("timeStamp").path("createdOn").asText()).matches("\\d\\d/\\d\\d/\\d\\d .*");
        assertThat(cms.getSignerInfos().size()).isEqualTo(1);
    }

    @Test
    void requiresAKnownApiVersion() throws Exception {
        HttpResponse<String> r = get("/metadata/scheduledevents", "Metadata", "true");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("newest-versions");
        assertThat(get("/metadata/instance?api-version=latest", "Metadata", "true").statusCode()).isEqualTo(400);
        assertThat(get(EVENTS + "&api-version=2020-07-01", "Metadata", "true").statusCode())
                .as("duplicate parameter").isEqualTo(400);
    }

    @Test
    void throttlesAboveFiveRequestsASecond() throws Exception {
        int throttled = 0;
        for (int i = 0; i < 8; i++) {
            if (get(EVENTS, "Metadata", "true").statusCode() == 429) {
                throttled++;
            }
        }
        assertThat(throttled).isEqualTo(3);
        Thread.sleep(1100);
        assertThat(get(EVENTS, "Metadata", "true").statusCode()).isEqualTo(200);
    }

    @Test
    void eventsBumpTheIncarnationStartWithEmptyNotBeforeAndVanish() throws Exception {
        long before = events().get("DocumentIncarnation").asLong();
        String id = imds.schedule("Preempt", List.of("vm_1"), Duration.ofSeconds(30), "evicted");

        JsonNode scheduled = events();
        assertThat(scheduled.get("DocumentIncarnation").asLong()).isGreaterThan(before);
        JsonNode e = scheduled.get("Events").get(0);
        assertThat(e.get("EventStatus").asText()).isEqualTo("Scheduled");
        Instant notBefore = ZonedDateTime.parse(e.get("NotBefore").asText(), DateTimeFormatter.RFC_1123_DATE_TIME)
                .toInstant();
        assertThat(notBefore).isBetween(Instant.now().plusSeconds(25), Instant.now().plusSeconds(31));
        assertThat(e.get("NotBefore").asText()).endsWith("GMT");

        imds.start(id);
        JsonNode started = events();
        assertThat(started.get("Events").get(0).get("NotBefore").asText()).isEmpty();
        assertThat(started.get("DocumentIncarnation").asLong()).isGreaterThan(scheduled.get("DocumentIncarnation").asLong());

        Thread.sleep(400);
        assertThat(events().get("Events")).isEmpty();
    }

    @Test
    void approvalStartsTheEventAndUnknownIdsAreRefused() throws Exception {
        String id = imds.schedule("Terminate", List.of("vm_1"), Duration.ofMinutes(5), "");
        HttpRequest ok = HttpRequest.newBuilder(URI.create(imds.baseUrl() + EVENTS)).header("Metadata", "true")
                .POST(HttpRequest.BodyPublishers.ofString("{\"StartRequests\":[{\"EventId\":\"" + id + "\"}]}")).build();
        HttpRequest unknown = HttpRequest.newBuilder(URI.create(imds.baseUrl() + EVENTS)).header("Metadata", "true")
                .POST(HttpRequest.BodyPublishers.ofString("{\"StartRequests\":[{\"EventId\":\"nope\"}]}")).build();

        assertThat(http.send(unknown, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
        assertThat(http.send(ok, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

        assertThat(events().get("Events").get(0).get("EventStatus").asText()).isEqualTo("Started");
        assertThat(imds.approvals()).containsExactly(id);
    }

    @Test
    void scheduledEventStartsByItselfAtNotBefore() throws Exception {
        imds.schedule("Preempt", List.of("vm_1"), Duration.ofMillis(100), "");
        Thread.sleep(150);
        assertThat(events().get("Events").get(0).get("EventStatus").asText()).isEqualTo("Started");
    }

    @Test
    void servesInstanceMetadataWithAllStringValues() throws Exception {
        JsonNode body = json.readTree(get("/metadata/instance?api-version=2021-12-13", "Metadata", "true").body());
        assertThat(body.at("/compute/name").asText()).isEqualTo("vm_1");
        assertThat(body.at("/compute/osProfile/computerName").asText()).isEqualTo("vm000001");
    }

    static String rfc1123(Instant i) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC).format(i);
    }
}
