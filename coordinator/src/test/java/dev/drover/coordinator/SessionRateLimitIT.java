package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.protocol.AgentState;
import dev.drover.protocol.Bye;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Welcome;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session holding a valid token that floods the gateway with heartbeats is cut (Bye PROTOCOL_ERROR naming
 * the limit), once, logged once, while a real agent on the same coordinator stays READY on its session.
 */
class SessionRateLimitIT {
    private static final String TOKEN = "rate-limit-it-token-0123456789";

    @TempDir
    Path dir;

    @Test
    void aFloodingSessionIsCutWhileARealAgentStaysReady() throws Exception {
        try (PlaintextFarm farm = new PlaintextFarm(dir, TOKEN)) {
            farm.startCoordinator("rate-coordinator", ", messageRate: {perSecond: 50, burst: 200}");
            farm.startAgent("rate-agent", "real-1");
            String session = farm.api().node("real-1").orElseThrow().getString("sessionId");

            Message answer;
            int sent = 0;
            try (RawAgentClient flooder = new RawAgentClient("127.0.0.5", farm.gatewayPort(), 30_000)) {
                flooder.send(new Hello(1, 1, "test", NodeIdentity.local("flooder", "it"), 1, 0, TOKEN, "", 0));
                assertThat(flooder.receive()).isInstanceOf(Welcome.class);
                byte[] heartbeat = RawAgentClient.frame(new Heartbeat(System.currentTimeMillis(), AgentState.IDLE, 0,
                        HostMetrics.UNKNOWN, List.of(), false, 0));
                // far more than the burst, as fast as the socket takes them
                while (sent < 20_000 && flooder.sendRaw(heartbeat)) {
                    sent++;
                }
                do {
                    answer = flooder.receive();
                } while (answer != null && !(answer instanceof Bye));
                assertThat(flooder.awaitClosed()).as("the gateway closes the flooding session").isTrue();
            }
            assertThat(answer).isInstanceOf(Bye.class);
            assertThat(((Bye) answer).reason()).isEqualTo(ByeReason.PROTOCOL_ERROR);
            assertThat(((Bye) answer).detail()).contains("messages a second");

            await().atMost(Duration.ofSeconds(30)).until(() -> farm.api().node("flooder").orElseThrow()
                    .getBoolean("connected") == Boolean.FALSE);
            String metrics = farm.api().get("/metrics").body();
            assertThat(metrics).containsPattern("drover_gateway_rate_limited_total\\{action=\"closed\",?} [1-9]");

            // the real agent never noticed: same session, still READY, still heartbeating, over a few heartbeats
            Thread.sleep(6_000);
            JsonObject real = farm.api().node("real-1").orElseThrow();
            assertThat(real.getString("state")).isEqualTo("READY");
            assertThat(real.getBoolean("connected")).isTrue();
            assertThat(real.getString("sessionId")).isEqualTo(session);
            assertThat(farm.coordinator().output()).contains("closing agent connection: nodeId flooder: more than");
        }
    }
}
