package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BadConnectionLogTest {
    @Test
    void logsAtMostTheBudgetPerSecondAndCountsTheRest() {
        AtomicLong nanos = new AtomicLong();
        BadConnectionLog log = new BadConnectionLog(10, nanos::get);
        int logged = 0;
        for (int i = 0; i < 100_000; i++) {
            if (log.warn("10.0.0.1:1234", "closing", "garbage " + i)) {
                logged++;
            }
        }
        assertThat(logged).isEqualTo(10);
        assertThat(log.totalSuppressed()).isEqualTo(99_990);

        nanos.addAndGet(1_000_000_000L); // the next second has a fresh budget
        assertThat(log.warn("10.0.0.1:1234", "closing", "again")).isTrue();
    }

    @Test
    void peerTextCannotForgeLogLines() {
        String forged = "node-1\n12:00:00.000 INFO  AgentConnection - agent enrolled nodeId=\"admin\"\r\u2028\u202e\u0007";
        String clean = LogText.clean(forged);
        assertThat(clean).doesNotContain("\n").doesNotContain("\r").doesNotContain("\u2028").doesNotContain("\u202e")
                .doesNotContain("\u0007").contains("\\n").contains("\\u202e");
        assertThat(LogText.clean("x".repeat(10_000))).hasSizeLessThan(LogText.MAX_CHARS + 40).endsWith("(10000 chars)");
    }
}
