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
    void negotiatesHighestCommonVersion() {
        assertThat(ProtocolVersion.negotiate(1, 3, 1, 2)).hasValue(2);
        assertThat(ProtocolVersion.negotiate(2, 3, 1, 2)).hasValue(2);
        assertThat(ProtocolVersion.negotiate(3, 4, 1, 2)).isEmpty();
        assertThat(ProtocolVersion.negotiate(1, 1, 2, 3)).isEmpty();
    }
}
