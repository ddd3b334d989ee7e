package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.AgentLink;
import dev.drover.coordinator.fleet.LivenessSettings;
import dev.drover.coordinator.fleet.Node;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Welcome;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class InboundStreamsTest {
    private final MemoryDeliveryLedger ledger = new MemoryDeliveryLedger();
    private final InboundStreams streams = new InboundStreams(ledger);
    private final NodeRegistry registry = new NodeRegistry(Clock.systemUTC(),
            new LivenessSettings(Duration.ofSeconds(5), 20, 3, Duration.ofSeconds(60)), 10, Runnable::run);
    private final List<Long> applied = new ArrayList<>();

    private Node node() {
        registry.enrol(new Hello(1, 1, "t", NodeIdentity.local("n", "p"), 1, 0, "t", "", 0), 1, new AgentLink() {
            @Override
            public void send(Message message) {
            }

            @Override
            public void close(ByeReason reason, String detail) {
            }

            @Override
            public String remoteAddress() {
                return "test";
            }
        }, b -> new Welcome(1, b.sessionId(), "n", false, 0, 5000, 0, 65536, 0));
        return registry.find("n").orElseThrow();
    }

    private OptionalLong deliver(Node node, String stream, long seq) {
        return streams.deliver(node, stream, new DrainState(seq, DrainPhase.DRAINING, 0), () -> applied.add(seq));
    }

    @Test
    void appliesEachSeqOnceAndAcknowledgesDuplicatesWithThePosition() {
        Node node = node();
        assertThat(streams.open("n", "a-1")).isZero();

        assertThat(deliver(node, "a-1", 1)).hasValue(1);
        assertThat(deliver(node, "a-1", 2)).hasValue(2);
        assertThat(deliver(node, "a-1", 1)).as("duplicate").hasValue(2);
        assertThat(deliver(node, "a-1", 5)).as("a gap from an overflowed outbox").hasValue(5);

        assertThat(applied).containsExactly(1L, 2L, 5L);
        assertThat(ledger.position("n")).isEqualTo(new DeliveryLedger.Position("a-1", 5));
    }

    @Test
    void reopeningTheSameStreamResumesAndANewStreamStartsFromZero() {
        Node node = node();
        streams.open("n", "a-1");
        deliver(node, "a-1", 1);
        deliver(node, "a-1", 2);

        assertThat(streams.open("n", "a-1")).as("a reconnect, or a restart with a durable outbox").isEqualTo(2);
        assertThat(streams.open("n", "a-2")).as("an agent that lost its outbox").isZero();
        assertThat(deliver(node, "a-2", 1)).hasValue(1);
        assertThat(applied).containsExactly(1L, 2L, 1L);
    }

    @Test
    void aConnectionWhoseStreamWasReplacedAppliesAndAcknowledgesNothing() {
        Node node = node();
        streams.open("n", "a-1");
        streams.open("n", "a-2"); // a newer connection with another stream bound the node

        assertThat(deliver(node, "a-1", 7)).isEmpty();
        assertThat(applied).isEmpty();
        assertThat(streams.applied("n", "a-2")).isZero();
    }
}
