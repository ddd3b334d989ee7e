package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent reading a (fake, strict) IMDS, connected to a real coordinator: a Preempt that names this VM
 * shows the node Evicting with the event's NotBefore within 2 s; a Preempt for another VM changes nothing.
 */
class EvictionNoticeIT {
    private static final String TOKEN = "eviction-it-token-0123456789";
    private final List<JarProcess> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

    @TempDir
    Path dir;

    private CoordinatorApi api;
    private String imds;

    @BeforeEach
    void start() throws Exception {
        int imdsPort = JarProcess.freePort();
        RunningCoordinator c = RunningCoordinator.start(dir, "eviction-coordinator", TOKEN, "", "");
        processes.add(c.process());
        int gatewayPort = c.gatewayPort();
        api = c.api();
        processes.add(JarProcess.start(JarProcess.AGENT_JAR, "eviction-imds", List.of("fake-imds", "--port",
                String.valueOf(imdsPort), "--vm-name", "render_7", "--computer-name", "render000007", "--scale-set",
                "render"), Map.of()));
        imds = "http://127.0.0.1:" + imdsPort;
        processes.add(JarProcess.start(JarProcess.AGENT_JAR, "eviction-agent",
                List.of("--coordinator", "127.0.0.1:" + gatewayPort, "--coordinator-ca-file", TestTls.caFile(dir).toString(),  "--imds-url", imds, "--pool", "spot"),
                Map.of("DROVER_ENROLMENT_TOKEN", TOKEN)));
        await().atMost(Duration.ofSeconds(90)).until(() -> api.state("render000007").equals("READY")); // JVM start + TLS, loaded machine
    }

    @AfterEach
    void stop() throws Exception {
        for (JarProcess p : processes) {
            p.close();
        }
    }

    private String preempt(String vmName) throws Exception {
        return schedule("Preempt", vmName);
    }

    private String schedule(String type, String vmName) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(imds + "/fake/events"))
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("type", type)
                        .put("resources", List.of(vmName)).put("notBeforeSeconds", 30)
                        .put("description", "Spot eviction").encode())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new JsonObject(r.body()).getString("eventId");
    }

    /** Azure cancelled the event, or it is over: it leaves the document. */
    private void end(String eventId) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(imds + "/fake/events/" + eventId))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void aCancelledPreemptReturnsTheNodeToReady() throws Exception {
        String id = preempt("render_7");
        await().atMost(Duration.ofSeconds(30)).until(() -> api.state("render000007").equals("EVICTING"));

        end(id);

        await().atMost(Duration.ofSeconds(30)).until(() -> api.state("render000007").equals("READY"));
        JsonObject node = api.node("render000007").orElseThrow();
        assertThat(node.getValue("eviction")).isNull();
        assertThat(node.getString("stateReason")).contains("eviction cancelled").contains(id);
        // and it stays there: the agent reports itself idle again, not evicting
        Thread.sleep(2500);
        assertThat(api.state("render000007")).isEqualTo("READY");
    }

    @Test
    void aFreezeIsShownWhileItLastsAndClearedWhenItEnds() throws Exception {
        String id = schedule("Freeze", "render_7");
        await().atMost(Duration.ofSeconds(30)).until(() -> api.node("render000007").orElseThrow()
                .getValue("eviction") != null);
        assertThat(api.node("render000007").orElseThrow().getJsonObject("eviction").getString("type"))
                .isEqualTo("FREEZE");
        assertThat(api.state("render000007")).isEqualTo("READY");

        end(id);

        await().atMost(Duration.ofSeconds(30)).until(() -> api.node("render000007").orElseThrow()
                .getValue("eviction") == null);
        assertThat(api.state("render000007")).isEqualTo("READY");
    }

    @Test
    void identityComesFromImds() throws Exception {
        JsonObject node = api.node("render000007").orElseThrow();
        assertThat(node.getJsonObject("identity").getString("scaleSet")).isEqualTo("render");
        assertThat(node.getJsonObject("identity").getString("instanceId")).isEqualTo("7");
        assertThat(node.getJsonObject("identity").getString("priority")).isEqualTo("SPOT");
        assertThat(node.getBoolean("imdsDegraded")).isFalse();
    }

    @Test
    void preemptForAnotherVmChangesNothingAndOneForThisVmShowsEvictingWithinTwoSeconds() throws Exception {
        preempt("render_8");
        Thread.sleep(2500);
        assertThat(api.state("render000007")).isEqualTo("READY");
        assertThat(api.node("render000007").orElseThrow().getValue("eviction")).isNull();

        Instant injected = Instant.now();
        preempt("render_7");

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> api.state("render000007").equals("EVICTING"));
        JsonObject node = api.node("render000007").orElseThrow();
        JsonObject eviction = node.getJsonObject("eviction");
        assertThat(eviction.getString("type")).isEqualTo("PREEMPT");
        Instant notBefore = Instant.parse(eviction.getString("notBefore"));
        assertThat(notBefore).isBetween(injected.plusSeconds(28), injected.plusSeconds(32));
        assertThat(node.getString("stateReason")).contains("PREEMPT notice").contains(eviction.getString("eventId"));
    }
}
