package dev.drover.agent.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.protocol.ByeReason;
import dev.drover.protocol.RejectReason;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReconnectAdviceTest {
    private final Random random = new Random(7);

    private long delay(ReconnectAdvice advice) {
        return advice.delayMillis(new Backoff(500, 30_000, random), random);
    }

    @Test
    void reasonsRetryingCannotFixWaitFiveToSevenAndAHalfMinutes() {
        for (RejectReason r : new RejectReason[] {RejectReason.UNSUPPORTED_VERSION, RejectReason.BAD_CREDENTIAL,
                RejectReason.INVALID_HELLO}) {
            ReconnectAdvice advice = ReconnectAdvice.after(r);
            assertThat(advice.needsOperator()).isTrue();
            assertThat(delay(advice)).isBetween(300_000L, 450_000L);
        }
    }

    @Test
    void supersededBacksOffAMinuteOrMore() {
        assertThat(delay(ReconnectAdvice.after(ByeReason.SUPERSEDED))).isBetween(60_000L, 90_000L);
    }

    @Test
    void overloadedWaitsAtLeastFiveSeconds() {
        assertThat(delay(ReconnectAdvice.after(RejectReason.OVERLOADED))).isBetween(5_000L, 7_500L);
    }

    @Test
    void shutdownAndLostLinksUseTheJitteredBackoff() {
        for (ReconnectAdvice advice : new ReconnectAdvice[] {ReconnectAdvice.after(RejectReason.SHUTTING_DOWN),
                ReconnectAdvice.after(ByeReason.SHUTDOWN), ReconnectAdvice.after(ByeReason.IDLE_TIMEOUT),
                ReconnectAdvice.after(ByeReason.PROTOCOL_ERROR)}) {
            assertThat(advice).isEqualTo(ReconnectAdvice.BACKOFF);
            assertThat(delay(advice)).isBetween(0L, 500L);
        }
    }

    @Test
    void agentsSentAwayTogetherComeBackApart() {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 200; i++) {
            long d = delay(ReconnectAdvice.SUPERSEDED);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(max - min).as("spread over the window").isGreaterThan(20_000);
    }
}
