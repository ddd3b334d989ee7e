package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.coordinator.config.CoordinatorConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API against clients that misbehave: half-sent requests, uploads, oversized or sloppy bodies, and
 * the headers that protect the dashboard.
 */
class HttpHardeningIT {
    private static final String VIEWER = "viewer-token-0123456789abcdef";
    private static final String OPERATOR = "operator-token-0123456789abcdef";

    @TempDir
    Path dir;

    private Coordinator coordinator;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        CoordinatorConfig.Pool pool = new CoordinatorConfig.Pool("render", "", "", "spot", 1, List.of("blender"), 0, 4,
                0.1, null, null, 60, 25);
        CoordinatorConfig config = new CoordinatorConfig(TestTls.gateway(dir),
                new CoordinatorConfig.Http("127.0.0.1", 0, List.of(VIEWER), List.of(OPERATOR), null, null), null,
                new CoordinatorConfig.Enrolment(List.of("enrolment-token-0123456789"), null), null, List.of(pool),
                null, null);
        coordinator = new Coordinator(config, Clock.systemUTC()).start().await();
    }

    @AfterEach
    void stop() {
        coordinator.stop().await();
    }

    private HttpResponse<String> post(String path, String token, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + coordinator.httpPort() + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> postJson(String path, String body) throws Exception {
        return post(path, OPERATOR, "application/json", body);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + coordinator.httpPort() + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code head} and then nothing more; true when the server closes the connection within 40 s. */
    private boolean closedAfterHalfARequest(String head) throws Exception {
        try (Socket s = new Socket("127.0.0.1", coordinator.httpPort())) {
            s.setSoTimeout(40_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            try {
                while (in.read() >= 0) {
                    // a 408 or nothing, then the close
                }
                return true;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            } catch (java.net.SocketException e) {
                return true;
            }
        }
    }

    @Test
    void halfSentHeadersAreClosedEvenWhenTrickled() throws Exception {
        try (Socket s = new Socket("127.0.0.1", coordinator.httpPort())) {
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("GET /api/nodes HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            boolean closed = false;
            // a header byte every second (slowloris): an idle timeout never fires, the request deadline does
            while (!closed && System.nanoTime() - start < 40_000_000_000L) {
                try {
                    out.write('X');
                    out.flush();
                    closed = s.getInputStream().read() < 0;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // keep trickling
                } catch (java.io.IOException reset) {
                    closed = true;
                }
            }
            assertThat(closed).as("closed while still trickling headers").isTrue();
        }
    }

    @Test
    void halfSentBodyIsClosed() throws Exception {
        assertThat(closedAfterHalfARequest("POST /api/pools/render/limits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + OPERATOR + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"maxNodes\"")).isTrue();
    }

    @Test
    void uploadsAreNeverWrittenToDiskWhateverTheAnswer() throws Exception {
        Path uploads = Path.of("file-uploads").toAbsolutePath();
        if (Files.exists(uploads)) {
            try (Stream<Path> paths = Files.walk(uploads)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        String boundary = "----drover-test";
        String multipart = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n" + "A".repeat(2000) + "\r\n--" + boundary + "--\r\n";
        String type = "multipart/form-data; boundary=" + boundary;

        assertThat(post("/api/jobs", null, type, multipart).statusCode()).isEqualTo(401);
        assertThat(post("/api/nowhere", OPERATOR, type, multipart).statusCode()).isEqualTo(404);
        assertThat(post("/api/jobs", VIEWER, type, multipart).statusCode()).isEqualTo(403);
        assertThat(post("/api/jobs", OPERATOR, type, multipart).statusCode()).isEqualTo(400);
        assertThat(uploads).doesNotExist();
    }

    @Test
    void bodyLimitsArePerRoute() throws Exception {
        String bigDrain = "{\"deadlineSeconds\": 10, \"pad\": \"" + "x".repeat(8 * 1024) + "\"}";
        assertThat(postJson("/api/nodes/n1/drain", bigDrain).statusCode()).isEqualTo(413);
        // the same size is fine for a job (its own, larger limit); refused for its content, not its size
        HttpResponse<String> job = postJson("/api/jobs", "{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": "
                + "[{\"argv\": [\"echo\", \"" + "x".repeat(3000) + "\", \"" + "y".repeat(3000) + "\", \""
                + "z".repeat(3000) + "\"]}]}");
        assertThat(job.statusCode()).isEqualTo(201);
    }

    @Test
    void dashboardAndApiCarrySecurityHeaders() throws Exception {
        for (String path : List.of("/ui/", "/ui/app.js", "/ui/style.css")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
            assertThat(csp).as(path).contains("default-src 'none'").contains("script-src 'self'")
                    .contains("frame-ancestors 'none'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
            assertThat(r.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
            assertThat(r.headers().firstValue("Referrer-Policy")).as(path).hasValue("no-referrer");
        }
        // the page really needs nothing inline
        assertThat(get("/ui/").body()).doesNotContainPattern("<script>|<script [^>]*>[^<]+</script>|<style|\\sstyle=\"|\\son[a-z]+=\"");
        HttpResponse<String> api = get("/api/nodes");
        assertThat(api.statusCode()).isEqualTo(401);
        assertThat(api.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }

    @Test
    void poolLimitsRefuseWrongTypesRangesAndUnknownFields() throws Exception {
        String[][] cases = {
            {"{\"maxNodes\": \"5\"}", "maxNodes"},
            {"{\"maxNodes\": 5.5}", "maxNodes"},
            {"{\"minNodes\": -1}", "minNodes"},
            {"{\"maxNodes\": 20000}", "maxNodes"},
            {"{\"maxnodes\": 5}", "maxnodes"},
            {"{}", "minNodes"},
            {"{\"minNodes\": 3, \"maxNodes\": 2}", "minNodes"},
            {"[1]", "JSON object"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = postJson("/api/pools/render/limits", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(new JsonObject(r.body()).getString("error")).as(c[0]).contains(c[1]);
        }
        HttpResponse<String> ok = postJson("/api/pools/render/limits", "{\"maxNodes\": 3}");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(ok.body()).getInteger("maxNodes")).isEqualTo(3);
    }

    @Test
    void drainAndPauseRefuseSloppyBodies() throws Exception {
        String[][] cases = {
            {"/api/nodes/n1/drain", "{\"deadlineSeconds\": \"10\"}", "deadlineSeconds"},
            {"/api/nodes/n1/drain", "{\"deadlineSeconds\": -5}", "deadlineSeconds"},
            {"/api/nodes/n1/drain", "{\"deadlineSeconds\": 10000000}", "deadlineSeconds"},
            {"/api/nodes/n1/drain", "{\"deadline\": 10}", "deadline"},
            {"/api/pools/render/pause", "{\"now\": true}", "now"},
            {"/api/pools/render/resume", "{\"x\": 1}", "x"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = postJson(c[0], c[1]);
            assertThat(r.statusCode()).as(c[0] + " " + c[1]).isEqualTo(400);
            assertThat(new JsonObject(r.body()).getString("error")).as(c[1]).contains(c[2]);
        }
        assertThat(postJson("/api/nodes/n1/drain", "{\"deadlineSeconds\": 10}").statusCode()).isEqualTo(404);
        assertThat(postJson("/api/pools/render/pause", "").statusCode()).isEqualTo(200);
    }

    @Test
    void jobsRefuseWrongTypesAndUnknownFields() throws Exception {
        String[][] cases = {
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"x\"]}], \"priority\": 1}", "priority"},
            {"{\"title\": 5, \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"x\"]}]}", "title"},
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": {\"argv\": [\"x\"]}}", "tasks"},
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": \"x\"}]}", "argv"},
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"x\"], \"cwd\": \"/\"}]}", "cwd"},
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"x\"], \"title\": 7}]}", "title"},
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"x\"], \"workingDir\": 1}]}", "workingDir"},
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [1]}]}", "argv"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = postJson("/api/jobs", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(new JsonObject(r.body()).getString("error")).as(c[0]).contains(c[1]);
        }
    }

    @Test
    void jobStringsTheWireCannotCarryAreRefusedNamingTheField() throws Exception {
        // JSON escapes of unpaired UTF-16 surrogates: valid JSON, decoded to Java strings no UTF-8 can carry
        String[][] cases = {
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"echo\", \"a\\ud800\"]}]}",
                "tasks[0].argv[1]: unpaired UTF-16 surrogate U+D800 at index 1"},
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"x\"]}, {\"argv\": [\"x\"], \"env\": [\"A=\\udc00\"]}]}",
                "tasks[1].env[0]: unpaired UTF-16 surrogate U+DC00"},
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"x\"], \"workingDir\": \"/tmp/\\udfff\"}]}",
                "tasks[0].workingDir: unpaired"},
            {"{\"title\": \"t\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"x\"], \"title\": \"\\ud83c\"}]}",
                "tasks[0].title: unpaired"},
            {"{\"title\": \"t\", \"serviceKey\": \"blen\\ud800der\", \"tasks\": [{\"argv\": [\"x\"]}]}",
                "serviceKey: unpaired"},
            {"{\"title\": \"\\udc00\", \"serviceKey\": \"blender\", \"tasks\": [{\"argv\": [\"x\"]}]}",
                "title: unpaired"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = postJson("/api/jobs", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(new JsonObject(r.body()).getString("error")).as(c[0]).contains(c[1]);
        }
        assertThat(coordinator.builtInQueue().tasks()).isEmpty();

        // a paired surrogate (one emoji) is ordinary Unicode: accepted, and kept exactly
        HttpResponse<String> ok = postJson("/api/jobs", "{\"title\": \"t\", \"serviceKey\": \"blender\", "
                + "\"tasks\": [{\"argv\": [\"echo\", \"\\ud83c\\udfac\"]}]}");
        assertThat(ok.statusCode()).isEqualTo(201);
        assertThat(coordinator.builtInQueue().tasks()).hasSize(1);
    }

    @Test
    void jobWhoseRunTaskWouldNotFitTheAgentsFrameIsRefusedAtSubmission() throws Exception {
        JsonArray argv = new JsonArray().add("render");
        for (int i = 0; i < 20; i++) {
            argv.add("a".repeat(4000)); // each argument is allowed; together 80 KB, over the agent's 64 KiB
        }
        JsonObject job = new JsonObject().put("title", "big").put("serviceKey", "blender")
                .put("tasks", new JsonArray().add(new JsonObject().put("argv", argv)));
        HttpResponse<String> r = postJson("/api/jobs", job.encode());
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(new JsonObject(r.body()).getString("error")).contains("65536").containsPattern("RunTask of \\d+ bytes");
        assertThat(coordinator.builtInQueue().tasks()).isEmpty();

        // a multi-byte argument under 4096 characters but over 4096 bytes is refused too, naming the limit
        JsonObject wide = new JsonObject().put("title", "wide").put("serviceKey", "blender").put("tasks",
                new JsonArray().add(new JsonObject().put("argv", new JsonArray().add("é".repeat(3000)))));
        HttpResponse<String> w = postJson("/api/jobs", wide.encode());
        assertThat(w.statusCode()).isEqualTo(400);
        assertThat(coordinator.builtInQueue().tasks()).isEmpty();
    }

    @Test
    void tokenFilesNeedSixteenCharactersLikeInlineTokens() throws Exception {
        Path shortFile = dir.resolve("operator-tokens");
        Files.writeString(shortFile, "long-enough-token-0123456789\nshort\n");
        CoordinatorConfig config = new CoordinatorConfig(new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null,
                null), new CoordinatorConfig.Http("127.0.0.1", 0, null, null, null, shortFile.toString()), null,
                new CoordinatorConfig.Enrolment(List.of("enrolment-token-0123456789"), null));
        assertThatThrownBy(() -> new Coordinator(config, Clock.systemUTC()).start().await())
                .hasMessageContaining("http.operatorTokenFile").hasMessageContaining("line 2")
                .hasMessageContaining("16").hasMessageNotContaining("short");

        Path enrolFile = dir.resolve("enrolment-token");
        Files.writeString(enrolFile, "tiny\n");
        CoordinatorConfig enrol = new CoordinatorConfig(new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null,
                null), new CoordinatorConfig.Http("127.0.0.1", 0), null,
                new CoordinatorConfig.Enrolment(null, enrolFile.toString()));
        assertThatThrownBy(() -> new Coordinator(enrol, Clock.systemUTC()).start().await())
                .hasMessageContaining("enrolment.tokenFile").hasMessageContaining("16");
    }
}
