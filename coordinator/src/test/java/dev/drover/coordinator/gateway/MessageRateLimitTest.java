package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.gateway.MessageRateLimit.Verdict;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MessageRateLimitTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong nanos = new AtomicLong(42);

    @Test
    void acceptsABurstUpToItsCapacityThenClosesTheSession() {
        MessageRateLimit limit = new MessageRateLimit(10, 100, nanos::get);
        for (int i = 0; i < 100; i++) {
            assertThat(limit.admit(false)).as("message %d", i).isEqualTo(Verdict.ACCEPT);
        }
        assertThat(limit.admit(false)).isEqualTo(Verdict.CLOSE);
    }

    @Test
    void dropsProgressBeforeAnythingElseOnceTheBucketRunsLow() {
        MessageRateLimit limit = new MessageRateLimit(10, 100, nanos::get);
        for (int i = 0; i < 80; i++) {
            limit.admit(false);
        }
        // 20 tokens left, below a quarter of 100: progress goes, a reliable event still gets through
        assertThat(limit.admit(true)).isEqualTo(Verdict.DROP);
        assertThat(limit.admit(false)).isEqualTo(Verdict.ACCEPT);
    }

    @Test
    void aFloodOfProgressAloneIsDroppedThenClosed() {
        MessageRateLimit limit = new MessageRateLimit(10, 100, nanos::get);
        int accepted = 0;
        int dropped = 0;
        Verdict verdict;
        while ((verdict = limit.admit(true)) != Verdict.CLOSE) {
            if (verdict == Verdict.ACCEPT) {
                accepted++;
            } else {
                dropped++;
            }
        }
        assertThat(accepted).isEqualTo(75);
        assertThat(dropped).isEqualTo(25);
    }

    @Test
    void refillsAtTheConfiguredRateButNeverBeyondTheBurst() {
        MessageRateLimit limit = new MessageRateLimit(10, 100, nanos::get);
        for (int i = 0; i < 100; i++) {
            limit.admit(false);
        }
        nanos.addAndGet(SECOND / 2); // 5 tokens back
        for (int i = 0; i < 5; i++) {
            assertThat(limit.admit(false)).isEqualTo(Verdict.ACCEPT);
        }
        assertThat(limit.admit(false)).isEqualTo(Verdict.CLOSE);

        nanos.addAndGet(3600 * SECOND);
        assertThat(limit.tokens()).isLessThan(1); // not refilled until the next message
        limit.admit(false);
        assertThat(limit.tokens()).isEqualTo(99.0);
    }

    @Test
    void aRealAgentAtTheDefaultsIsNeverLimited() {
        CoordinatorConfig.MessageRate defaults = new CoordinatorConfig.MessageRate(null, null);
        MessageRateLimit limit = new MessageRateLimit(defaults.perSecond(), defaults.burst(), nanos::get);
        // a resume: the whole default outbox (10,000 events) resent at once, with acks and a heartbeat
        for (int i = 0; i < 10_000 + 2; i++) {
            assertThat(limit.admit(false)).isEqualTo(Verdict.ACCEPT);
        }
        // then an hour of 32 tasks reporting progress at 2 Hz, a heartbeat every 5 s, one event a second
        for (long ms = 0; ms < 3_600_000; ms += 500) {
            nanos.addAndGet(SECOND / 2);
            for (int task = 0; task < 32; task++) {
                assertThat(limit.admit(true)).isEqualTo(Verdict.ACCEPT);
            }
            if (ms % 1000 == 0) {
                assertThat(limit.admit(false)).isEqualTo(Verdict.ACCEPT);
            }
            if (ms % 5000 == 0) {
                assertThat(limit.admit(false)).isEqualTo(Verdict.ACCEPT);
            }
        }
    }

    @Test
    void configRejectsNonsenseNamingTheField() {
        assertThatThrownBy(() -> new CoordinatorConfig.MessageRate(0.0, null))
                .hasMessageContaining("gateway.messageRate.perSecond").hasMessageContaining("0.0");
        assertThatThrownBy(() -> new CoordinatorConfig.MessageRate(null, 3))
                .hasMessageContaining("gateway.messageRate.burst").hasMessageContaining("3");
        assertThatThrownBy(() -> new MessageRateLimit(-1, 10, nanos::get)).hasMessageContaining("perSecond");
    }
}
