package dev.drover.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** An outbox restored after a coordinator restart goes on numbering where the old one stopped. */
class OutboxResumeTest {
    private static CancelTask cancel(long seq) {
        return new CancelTask(seq, new TaskRef(1, (int) seq, (int) seq), "x");
    }

    @Test
    void resumedOutboxKeepsPendingAndContinuesTheSequence() {
        Outbox<Reliable> outbox = Outbox.resume(4, 7, List.of(cancel(6), cancel(7)));

        assertThat(outbox.unacknowledged()).extracting(Reliable::seq).containsExactly(6L, 7L);
        assertThat(outbox.lastSeq()).isEqualTo(7);
        assertThat(outbox.add(OutboxResumeTest::cancel).seq()).isEqualTo(8);
        assertThat(outbox.acknowledge(7)).isEqualTo(2);
        assertThat(outbox.unacknowledged()).extracting(Reliable::seq).containsExactly(8L);
    }

    @Test
    void resumeRefusesSequencesThatDoNotRiseOrLieBeyondTheLast() {
        assertThatThrownBy(() -> Outbox.resume(4, 7, List.of(cancel(7), cancel(6))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must rise");
        assertThatThrownBy(() -> Outbox.resume(4, 7, List.of(cancel(8))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 7");
    }

    @Test
    void resumeKeepsOnlyAsManyAsFit() {
        Outbox<Reliable> outbox = Outbox.resume(2, 9, List.of(cancel(7), cancel(8), cancel(9)));
        assertThat(outbox.unacknowledged()).extracting(Reliable::seq).containsExactly(8L, 9L);
    }
}
