package dev.drover.agent.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delaysGrowExponentiallyWithinTheCapAndResetAfterSuccess() {
        Backoff backoff = new Backoff(100, 1000, new SplittableRandom(1));
        long[] ceilings = {100, 200, 400, 800, 1000, 1000, 1000};

        for (long ceiling : ceilings) {
            assertThat(backoff.nextDelayMillis()).isBetween(0L, ceiling);
        }
        backoff.reset();
        assertThat(backoff.nextDelayMillis()).isBetween(0L, 100L);
    }

    @Test
    void jitterSpreadsAgentsThatFailedTogether() {
        long[] delays = new long[100];
        for (int i = 0; i < delays.length; i++) {
            Backoff b = new Backoff(100, 30_000, new SplittableRandom(i));
            for (int attempt = 0; attempt < 8; attempt++) {
                delays[i] = b.nextDelayMillis();
            }
        }
        long distinct = java.util.Arrays.stream(delays).distinct().count();
        assertThat(distinct).as("100 agents on their 8th attempt").isGreaterThan(90);
    }

    @Test
    void manyAttemptsNeverOverflow() {
        Backoff backoff = new Backoff(500, 30_000, new SplittableRandom(3));
        for (int i = 0; i < 200; i++) {
            assertThat(backoff.nextDelayMillis()).isBetween(0L, 30_000L);
        }
    }

    @Test
    void aRefusedAttemptWaitsAtMostTheLowerCapAndStillJitters() {
        Backoff backoff = new Backoff(500, 8000, 4000, new SplittableRandom(5));
        for (int i = 0; i < 6; i++) {
            backoff.nextDelayMillis(); // the ceiling has reached the 8 s cap
        }
        long[] delays = new long[200];
        for (int i = 0; i < delays.length; i++) {
            delays[i] = backoff.nextDelayAfterRefusalMillis();
            assertThat(delays[i]).isBetween(0L, 4000L);
        }
        assertThat(java.util.Arrays.stream(delays).max().orElseThrow()).as("spread over the window")
                .isGreaterThan(3000L);
        assertThat(java.util.Arrays.stream(delays).distinct().count()).isGreaterThan(150);
        assertThat(backoff.nextDelayMillis()).isBetween(0L, 8000L);
    }

    @Test
    void aRefusedAttemptStillGrowsFromTheBaseAndTheRefusedCapNeverExceedsTheCap() {
        Backoff backoff = new Backoff(100, 1000, 5000, new SplittableRandom(7));
        long[] ceilings = {100, 200, 400, 800, 1000, 1000};
        for (long ceiling : ceilings) {
            assertThat(backoff.nextDelayAfterRefusalMillis()).isBetween(0L, ceiling);
        }
    }
}
