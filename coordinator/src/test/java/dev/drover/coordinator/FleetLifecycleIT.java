package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
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
 * The real coordinator jar and real agent processes over loopback: enrolment, Suspect and Lost after an
 * agent dies, the same node after a restart, and a hostile connection that harms nobody else.
 */
class FleetLifecycleIT {
    private static final String TOKEN = "it-enrolment-token-0123456789";

    @TempDir
    Path dir;

    private final List<JarProcess> processes = new ArrayList<>();
    private int gatewayPort;
    private CoordinatorApi api;

    @BeforeEach
    void startCoordinator() throws Exception {
        RunningCoordinator c = RunningCoordinator.start(dir, "fleet-coordinator", TOKEN, ", helloTimeoutMillis: 5000",
                "liveness: {heartbeatIntervalMillis: 300, jitterPercent: 20, suspectAfterMissed: 3, lostAfterMillis: 3000}");
        processes.add(c.process());
        gatewayPort = c.gatewayPort();
        api = c.api();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (JarProcess p : processes) {
            p.close();
        }
    }

    private JarProcess startAgent(String nodeId) throws Exception {
        JarProcess agent = JarProcess.start(JarProcess.AGENT_JAR, "fleet-" + nodeId + "-" + processes.size(),
                List.of("--coordinator", "127.0.0.1:" + gatewayPort, "--coordinator-ca-file", TestTls.caFile(dir).toString(),  "--node-id", nodeId, "--pool", "it", "--no-imds",
                        // one state directory per node, kept across restarts as on a VM: it holds the node credential
                        "--state-dir", dir.resolve("state-" + nodeId).toString()),
                Map.of("DROVER_ENROLMENT_TOKEN", TOKEN));
        processes.add(agent);
        return agent;
    }

    private void awaitState(String nodeId, String state, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(100)).until(() -> api.state(nodeId).equals(state));
    }

    @Test
    void agentsEnrolDieAreLostAndComeBackAsTheSameNode() throws Exception {
        // given two real agents
        JarProcess a = startAgent("node-a");
        startAgent("node-b");

        // then both become Ready, with host metrics from their heartbeats
        awaitState("node-a", "READY", Duration.ofSeconds(60));
        awaitState("node-b", "READY", Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(30)).until(() -> api.node("node-a").orElseThrow().getString("lastHeartbeat") != null);
        JsonObject metrics = api.node("node-a").orElseThrow().getJsonObject("metrics");
        assertThat(metrics.getLong("memTotalBytes")).isPositive();
        String firstSession = api.node("node-a").orElseThrow().getString("sessionId");

        // when agent A dies without a word
        a.kill();

        // then A goes Suspect, then Lost, with reasons; B is untouched
        awaitState("node-a", "SUSPECT", Duration.ofSeconds(5));
        assertThat(api.node("node-a").orElseThrow().getString("stateReason")).contains("no heartbeat");
        awaitState("node-a", "LOST", Duration.ofSeconds(8));
        assertThat(api.state("node-b")).isEqualTo("READY");

        // when A is started again with the same identity
        startAgent("node-a");

        // then it is the same node again, not a second one, let in by the credential it kept (mode 0600)
        awaitState("node-a", "READY", Duration.ofSeconds(60));
        assertThat(java.nio.file.Files.getPosixFilePermissions(dir.resolve("state-node-a").resolve("node-credential")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(api.nodes()).hasSize(2);
        JsonObject again = api.node("node-a").orElseThrow();
        assertThat(again.getString("stateReason")).contains("enrolled");
        assertThat(again.getString("sessionId")).isNotEqualTo(firstSession);
        assertThat(again.getJsonArray("history").stream().map(h -> ((JsonObject) h).getString("to")))
                .containsSubsequence("READY", "SUSPECT", "LOST", "READY");
    }

    @Test
    void hostileConnectionsAreDroppedWhileOtherAgentsStayReady() throws Exception {
        startAgent("node-c");
        startAgent("node-d");
        awaitState("node-c", "READY", Duration.ofSeconds(60));
        awaitState("node-d", "READY", Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(60)).until(() -> api.node("node-c").orElseThrow()
                .getString("lastHeartbeat") != null); // Ready comes with the Welcome, the heartbeat just after
        Instant beatBefore = Instant.parse(api.node("node-c").orElseThrow().getString("lastHeartbeat"));

        // the gateway speaks TLS: each of these is dropped at its first byte, as is any plaintext
        // an HTTP request to the agent port: its first four bytes read as a 1.2 GB frame length
        assertThat(closedByServerAfterSending("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .as("HTTP garbage is disconnected").isTrue();
        // a well-framed message of a type that does not exist
        assertThat(closedByServerAfterSending(new byte[] {0, 0, 0, 1, 0x7F})).as("unknown type").isTrue();
        // a Heartbeat before any Hello
        assertThat(closedByServerAfterSending(new byte[] {0, 0, 0, 1, 0x04})).as("no hello").isTrue();
        // silence: no Hello within the 5 s hello timeout
        assertThat(closedByServerAfterSending(new byte[0])).as("silent connection").isTrue();

        // the real agents never noticed: still Ready and still beating
        assertThat(api.state("node-c")).isEqualTo("READY");
        assertThat(api.state("node-d")).isEqualTo("READY");
        await().atMost(Duration.ofSeconds(30)).until(() -> Instant.parse(
                api.node("node-c").orElseThrow().getString("lastHeartbeat")).isAfter(beatBefore));
        assertThat(api.nodes()).hasSize(2);
    }

    @Test
    void agentWithWrongTokenIsRejectedAndNeverListed() throws Exception {
        JarProcess intruder = JarProcess.start(JarProcess.AGENT_JAR, "fleet-intruder",
                List.of("--coordinator", "127.0.0.1:" + gatewayPort, "--coordinator-ca-file", TestTls.caFile(dir).toString(),  "--node-id", "intruder", "--no-imds"),
                Map.of("DROVER_ENROLMENT_TOKEN", "wrong-token-wrong-token"));
        processes.add(intruder);

        await().atMost(Duration.ofSeconds(60)).until(() -> intruder.output().contains("BAD_CREDENTIAL"));
        assertThat(api.state("intruder")).isEqualTo("ABSENT");
        assertThat(intruder.output()).doesNotContain("wrong-token-wrong-token");
    }

    private boolean closedByServerAfterSending(byte[] bytes) throws Exception {
        try (Socket s = new Socket("127.0.0.1", gatewayPort)) {
            s.setSoTimeout(6000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            try {
                while (true) {
                    if (in.read(buf) < 0) {
                        return true; // the server closed it (after an optional Bye frame)
                    }
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (java.net.SocketException e) {
                return true; // reset by the server
            }
        }
    }
}
