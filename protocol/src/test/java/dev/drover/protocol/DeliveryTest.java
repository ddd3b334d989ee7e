package dev.drover.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DeliveryTest {

    private static TaskStarted started(long seq) {
        return new TaskStarted(seq, SampleMessages.TASK, 0, 1);
    }

    @Test
    void outboxNumbersMessagesFromOneAndKeepsThemUntilAcknowledged() {
        Outbox<Reliable> outbox = new Outbox<>(10);

        outbox.add(DeliveryTest::started);
        outbox.add(DeliveryTest::started);
        outbox.add(DeliveryTest::started);

        assertThat(outbox.unacknowledged()).extracting(Reliable::seq).containsExactly(1L, 2L, 3L);
        assertThat(outbox.acknowledge(2)).isEqualTo(2);
        assertThat(outbox.unacknowledged()).extracting(Reliable::seq).containsExactly(3L);
        assertThat(outbox.acknowledge(2)).as("a repeated ack releases nothing").isZero();
    }

    @Test
    void fullOutboxDropsTheOldestAndCountsIt() {
        Outbox<Reliable> outbox = new Outbox<>(2);

        for (int i = 0; i < 5; i++) {
            outbox.add(DeliveryTest::started);
        }

        assertThat(outbox.unacknowledged()).extracting(Reliable::seq).containsExactly(4L, 5L);
        assertThat(outbox.dropped()).isEqualTo(3);
        assertThat(outbox.lastSeq()).isEqualTo(5);
    }

    @Test
    void outboxRefusesMessageWithWrongSequence() {
        Outbox<Reliable> outbox = new Outbox<>(2);
        assertThatThrownBy(() -> outbox.add(seq -> started(seq + 1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(outbox.size()).isZero();
    }

    @Test
    void inboundSequenceDropsDuplicatesAndAcceptsGaps() {
        InboundSequence inbound = new InboundSequence();

        assertThat(inbound.accept(1)).isTrue();
        assertThat(inbound.accept(1)).isFalse();
        assertThat(inbound.accept(4)).as("a gap from an overflowed outbox is still new").isTrue();
        assertThat(inbound.accept(3)).isFalse();
        assertThat(inbound.last()).isEqualTo(4);
    }

    @Test
    void inboundFollowingANewStreamStartsCountingAgain() {
        // given a receiver that processed seq 1..5 of stream "a"
        InboundSequence inbound = new InboundSequence("a", 5);

        // when the sender restarts with a new outbox (stream "b") numbering from 1
        assertThat(inbound.follow("a")).as("same stream: nothing changes").isFalse();
        assertThat(inbound.accept(1)).isFalse();
        assertThat(inbound.follow("b")).isTrue();

        // then seq 1 of the new stream is new, and the old stream's position is no longer reported
        assertThat(inbound.accept(1)).isTrue();
        assertThat(inbound.lastOf("a")).isZero();
        assertThat(inbound.lastOf("b")).isEqualTo(1);
        assertThat(inbound.follow("")).as("a peer naming no stream resets nothing").isFalse();
        assertThat(inbound.last()).isEqualTo(1);
    }

    @Test
    void newOutboxesAreNewStreamsAndARestoredOneContinuesItsOwn() {
        Outbox<Reliable> first = new Outbox<>(4);
        Outbox<Reliable> second = new Outbox<>(4);
        assertThat(first.streamId()).isNotBlank().isNotEqualTo(second.streamId());

        Outbox<Reliable> restored = new Outbox<>("a-1", 4, 7, 2, java.util.List.of(started(6), started(7)));
        restored.add(DeliveryTest::started);

        assertThat(restored.streamId()).isEqualTo("a-1");
        assertThat(restored.unacknowledged()).extracting(Reliable::seq).containsExactly(6L, 7L, 8L);
        assertThat(restored.dropped()).isEqualTo(2);
        assertThatThrownBy(() -> new Outbox<>("a-1", 4, 5, 0, java.util.List.of(started(6))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("above lastSeq 5");
        assertThatThrownBy(() -> new Outbox<Reliable>(" ", 4, 0, 0, java.util.List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("streamId");
    }

    @Test
    void reliableMessagesRefuseSequenceZero() {
        assertThatThrownBy(() -> started(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("taskStarted.seq must be >= 1, got 0");
        assertThatThrownBy(() -> new CancelTask(0, SampleMessages.TASK, ""))
                .hasMessage("cancelTask.seq must be >= 1, got 0");
    }

    @Test
    void rangesWithoutACommonVersionOrUpsideDownDoNotNegotiate() {
        assertThat(ProtocolVersion.negotiate(0, 1, 1, 1)).hasValue(1);
        assertThat(ProtocolVersion.negotiate(0, 0, 1, 1)).isEmpty();
        assertThat(ProtocolVersion.negotiate(3, 1, 1, 5)).isEmpty();
    }

    @Test
    void negotiatesHighestCommonVersion() {
        assertThat(ProtocolVersion.negotiate(1, 3, 1, 2)).hasValue(2);
        assertThat(ProtocolVersion.negotiate(2, 3, 1, 2)).hasValue(2);
        assertThat(ProtocolVersion.negotiate(3, 4, 1, 2)).isEmpty();
        assertThat(ProtocolVersion.negotiate(1, 1, 2, 3)).isEmpty();
    }
}
