package dev.drover.coordinator.tractor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.tractor.BladeWork.Action;
import dev.drover.coordinator.tractor.BladeWork.Due;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Pending blade actions: independent, ordered, retried with capped backoff, never repeated once confirmed. */
class BladeWorkTest {
    private final BladeWork work = new BladeWork(Duration.ofMillis(500), Duration.ofSeconds(10));
    private Instant now = Instant.parse("2026-11-29T12:00:00Z");

    @Test
    void nimbyGoesFirstAndEjectWaitsOnlyWhileItIsInFlight() {
        work.want("n1", Action.NIMBY, now);
        work.want("n1", Action.EJECT, now);
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.NIMBY));
        work.failed("n1", Action.NIMBY, now, "HTTP 500", false);
        assertThat(work.due(now)).as("a refused NIMBY does not hold up the eject")
                .containsExactly(new Due("n1", Action.EJECT));
    }

    @Test
    void failuresBackOffExponentiallyUpToTheCap() {
        work.want("n1", Action.EJECT, now);
        for (int i = 0; i < 8; i++) {
            assertThat(work.due(now)).hasSize(1);
            work.failed("n1", Action.EJECT, now, "refused", true);
            long expected = Math.min(10_000, 500L << i);
            assertThat(work.due(now.plusMillis(expected - 1))).isEmpty();
            now = now.plusMillis(expected);
        }
        assertThat(work.outstanding()).singleElement().asString().contains("EJECT (8 failure(s): refused)");
    }

    @Test
    void anAnswerFromTheEngineEndsTheBackoffAtOnce() {
        work.want("n1", Action.NIMBY, now);
        work.due(now);
        work.failed("n1", Action.NIMBY, now, "connection refused", true);
        assertThat(work.due(now.plusMillis(100))).isEmpty();
        work.engineAnswered(now.plusMillis(100));
        assertThat(work.due(now.plusMillis(100))).containsExactly(new Due("n1", Action.NIMBY));
    }

    @Test
    void aRefusalKeepsItsBackoffWhenOtherRequestsAreAnswered() {
        work.want("n1", Action.NIMBY, now);
        work.due(now);
        work.failed("n1", Action.NIMBY, now, "HTTP 500", false);
        work.engineAnswered(now.plusMillis(100));
        assertThat(work.due(now.plusMillis(100))).isEmpty();
        assertThat(work.due(now.plusMillis(500))).containsExactly(new Due("n1", Action.NIMBY));
    }

    @Test
    void everyEjectTryIsPrecededByANimbyTry() {
        work.want("n1", Action.NIMBY, now);
        work.want("n1", Action.EJECT, now);
        work.due(now);
        work.failed("n1", Action.NIMBY, now, "refused", false);
        work.failed("n1", Action.NIMBY, now, "refused", false); // NIMBY now backs off longer than the eject
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.EJECT));
        work.failed("n1", Action.EJECT, now, "refused", false);
        now = now.plusMillis(500);
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.NIMBY));
        work.succeeded("n1", Action.NIMBY, now);
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.EJECT));
    }

    @Test
    void anEngineDownBacksTheNimbyOffWithItsEjectAndBothGoAtOnceWhenItAnswers() {
        work.want("n1", Action.NIMBY, now);
        work.want("n1", Action.EJECT, now);
        int nimbyTries = 0;
        for (int pump = 0; pump < 300; pump++) { // 30 s of a pump every 100 ms, the engine refusing connections
            for (Due d : work.due(now)) {
                assertThat(d.action()).as("nothing but NIMBY goes first").isEqualTo(Action.NIMBY);
                nimbyTries++;
                work.failed("n1", d.action(), now, "connection refused", true);
            }
            now = now.plusMillis(100);
        }
        assertThat(nimbyTries).as("0.5 s doubling to 10 s over 30 s").isBetween(5, 8);
        work.engineAnswered(now);
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.NIMBY));
        work.succeeded("n1", Action.NIMBY, now);
        assertThat(work.due(now)).as("the eject only waited for the NIMBY").containsExactly(new Due("n1",
                Action.EJECT));
    }

    @Test
    void confirmedActionsAreNeverDueAgainEvenWhenWantedAgain() {
        work.want("n1", Action.NIMBY, now);
        work.due(now);
        work.succeeded("n1", Action.NIMBY, now);
        work.want("n1", Action.NIMBY, now);
        assertThat(work.due(now)).isEmpty();
        assertThat(work.done("n1", Action.NIMBY)).isTrue();
    }

    @Test
    void aNodeBackInServiceHasItsNimbyAndEjectWithdrawnSoTheNextEpisodeAsksAgain() {
        work.want("n1", Action.NIMBY, now);
        work.want("n1", Action.EJECT, now);
        work.due(now);
        work.succeeded("n1", Action.NIMBY, now);
        assertThat(work.backInService("n1", now)).as("the eject was not confirmed").containsExactly(Action.EJECT);
        work.want("n1", Action.NIMBY, now); // lost again
        assertThat(work.due(now)).as("the un-NIMBY yields to the new episode")
                .containsExactly(new Due("n1", Action.NIMBY));
        work.want("n2", Action.DELIST, now);
        assertThat(work.backInService("n2", now)).as("its VM is gone").isNull();
        assertThat(work.done("n2", Action.DELIST) || work.due(now).contains(new Due("n2", Action.DELIST)))
                .as("a delist is never withdrawn").isTrue();
    }

    @Test
    void anUnNimbyIsRetriedUntilTheEngineConfirmsIt() {
        nimbied("n1");
        assertThat(work.backInService("n1", now)).isEmpty();
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.UNNIMBY));
        work.failed("n1", Action.UNNIMBY, now, "HTTP 500", false);
        assertThat(work.due(now.plusMillis(499))).isEmpty();
        assertThat(work.due(now.plusMillis(500))).containsExactly(new Due("n1", Action.UNNIMBY));
        work.succeeded("n1", Action.UNNIMBY, now.plusMillis(600));
        assertThat(work.outstanding()).isEmpty();
        assertThat(work.due(now.plusSeconds(60))).isEmpty();
    }

    @Test
    void anUnNimbyWaitsForANimbyStillOnItsWay() {
        work.want("n1", Action.NIMBY, now);
        work.due(now);
        assertThat(work.backInService("n1", now)).containsExactly(Action.NIMBY);
        assertThat(work.due(now)).as("a NIMBY landing after the un-NIMBY would undo it").isEmpty();
        work.succeeded("n1", Action.NIMBY, now);
        assertThat(work.done("n1", Action.NIMBY)).as("withdrawn: its outcome is dropped").isFalse();
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.UNNIMBY));
    }

    @Test
    void aNimbyAskedWhileTheUnNimbyIsOnItsWayGoesAfterItAndTheUnNimbyIsNotRetried() {
        nimbied("n1");
        work.backInService("n1", now);
        work.due(now);
        work.want("n1", Action.NIMBY, now); // evicted again
        assertThat(work.due(now)).isEmpty();
        work.failed("n1", Action.UNNIMBY, now, "HTTP 500", false);
        assertThat(work.due(now.plusSeconds(20))).containsExactly(new Due("n1", Action.NIMBY));
        work.succeeded("n1", Action.NIMBY, now.plusSeconds(20));
        assertThat(work.due(now.plusSeconds(60))).isEmpty();
        assertThat(work.outstanding()).isEmpty();
    }

    @Test
    void aBladeDroverNeverNimbiedGetsNoUnNimbyAndADroppedUnNimbyIsReported() {
        assertThat(work.backInService("n1", now)).as("a NIMBY there is an operator's").isNull();
        assertThat(work.due(now)).isEmpty();
        nimbied("n2");
        work.backInService("n2", now);
        assertThat(work.want("n2", Action.NIMBY, now)).as("the un-NIMBY not yet sent is dropped").isTrue();
        assertThat(work.due(now)).containsExactly(new Due("n2", Action.NIMBY));
    }

    private void nimbied(String nodeId) {
        work.want(nodeId, Action.NIMBY, now);
        work.due(now);
        work.succeeded(nodeId, Action.NIMBY, now);
    }

    @Test
    void aNimbyWithdrawnInFlightAndWantedAgainCounts() {
        work.want("n1", Action.NIMBY, now);
        work.due(now);
        work.backInService("n1", now);
        work.want("n1", Action.NIMBY, now); // back and gone again before the first answer
        work.succeeded("n1", Action.NIMBY, now);
        assertThat(work.done("n1", Action.NIMBY)).isTrue();
        assertThat(work.due(now)).isEmpty();
    }

    @Test
    void anEjectConfirmedBeforeNimbyIsDueOnceMoreAfterIt() {
        work.want("n1", Action.NIMBY, now);
        work.want("n1", Action.EJECT, now);
        work.due(now);
        work.failed("n1", Action.NIMBY, now, "refused", true);
        work.due(now);
        work.succeeded("n1", Action.EJECT, now); // the blade could still take new work
        now = now.plusSeconds(1);
        work.due(now);
        work.succeeded("n1", Action.NIMBY, now);
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.EJECT));
        work.succeeded("n1", Action.EJECT, now);
        assertThat(work.due(now.plusSeconds(60))).isEmpty();
    }

    @Test
    void delistWaitsForTheEject() {
        work.want("n1", Action.EJECT, now);
        work.want("n1", Action.DELIST, now);
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.EJECT));
        work.failed("n1", Action.EJECT, now, "down", true);
        assertThat(work.due(now.plusSeconds(1))).containsExactly(new Due("n1", Action.EJECT));
        work.succeeded("n1", Action.EJECT, now.plusSeconds(1));
        assertThat(work.due(now.plusSeconds(1))).containsExactly(new Due("n1", Action.DELIST));
    }

    @Test
    void delistWaitsForNimbyToo() {
        work.want("n1", Action.NIMBY, now);
        work.want("n1", Action.EJECT, now);
        work.want("n1", Action.DELIST, now);
        work.due(now);
        work.failed("n1", Action.NIMBY, now, "refused", false);
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.EJECT));
        work.succeeded("n1", Action.EJECT, now);
        assertThat(work.due(now)).isEmpty();
        work.succeeded("n1", Action.NIMBY, now);
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.EJECT)); // ejected before NIMBY: again
        work.succeeded("n1", Action.EJECT, now);
        assertThat(work.due(now)).containsExactly(new Due("n1", Action.DELIST));
    }

    @Test
    void nodesAreIndependent() {
        work.want("a", Action.NIMBY, now);
        work.want("b", Action.NIMBY, now);
        work.due(now);
        work.failed("a", Action.NIMBY, now, "x", true);
        work.succeeded("b", Action.NIMBY, now);
        work.forgetDoneBefore(now.plusSeconds(1));
        assertThat(work.outstanding()).singleElement().asString().startsWith("a: NIMBY");
        assertThat(work.done("b", Action.NIMBY)).isFalse(); // forgotten
    }
}
