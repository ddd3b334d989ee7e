package dev.drover.agent.imds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.drover.agent.fakeimds.FakeImds;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real IMDS client and poller against the strict fake IMDS. */
class ScheduledEventsPollerIT {
    private final List<ScheduledEvent> appeared = new CopyOnWriteArrayList<>();
    private final List<ScheduledEvent> ended = new CopyOnWriteArrayList<>();
    private final AtomicBoolean coordinatorKnows = new AtomicBoolean(true);
    private FakeImds imds;
    private ScheduledEventsPoller poller;

    @BeforeEach
    void start() throws Exception {
        imds = new FakeImds(0, Map.of("name", "vm_1"), Duration.ofSeconds(60), Clock.systemUTC());
        poller = new ScheduledEventsPoller(new ImdsClient(imds.baseUrl(), Duration.ofMillis(500)), "vm_1", 250,
                new ScheduledEventsPoller.Listener() {
                    @Override
                    public void appeared(ScheduledEvent event, Instant observedAt) {
                        appeared.add(event);
                    }

                    @Override
                    public void ended(ScheduledEvent event) {
                        ended.add(event);
                    }
                }, new ApprovalPolicy(true, false), () -> true, id -> coordinatorKnows.get(), Clock.systemUTC());
        poller.start();
    }

    @AfterEach
    void stop() {
        poller.close();
        imds.close();
    }

    @Test
    void preemptForThisVmIsReportedOnceAndItsEndToo() throws Exception {
        String id = imds.schedule("Preempt", List.of("vm_1"), Duration.ofSeconds(30), "Spot eviction");

        await().atMost(Duration.ofSeconds(30)).until(() -> appeared.size() == 1);
        Thread.sleep(800);
        assertThat(appeared).hasSize(1);
        assertThat(appeared.get(0).eventId()).isEqualTo(id);
        assertThat(appeared.get(0).notBefore()).isPresent();
        assertThat(imds.approvals()).as("a Preempt is never approved by default").isEmpty();

        imds.remove(id);
        await().atMost(Duration.ofSeconds(30)).until(() -> ended.size() == 1);
    }

    @Test
    void eventsForOtherVmsChangeNothing() throws Exception {
        imds.schedule("Preempt", List.of("vm_2"), Duration.ofSeconds(30), "");
        imds.schedule("Terminate", List.of("vm_3"), Duration.ofMinutes(5), "");

        Thread.sleep(1200);

        assertThat(appeared).isEmpty();
        assertThat(imds.approvals()).isEmpty();
    }

    @Test
    void ownTerminateIsApprovedOnceTheCoordinatorKnowsButASharedOneNever() throws Exception {
        coordinatorKnows.set(false);
        String own = imds.schedule("Terminate", List.of("vm_1"), Duration.ofMinutes(5), "scale-in");
        imds.schedule("Terminate", List.of("vm_1", "vm_2"), Duration.ofMinutes(5), "scale-in");
        await().atMost(Duration.ofSeconds(30)).until(() -> appeared.size() == 2);
        Thread.sleep(600);
        assertThat(imds.approvals()).isEmpty();

        coordinatorKnows.set(true);

        await().atMost(Duration.ofSeconds(30)).until(() -> imds.approvals().equals(List.of(own)));
    }

    @Test
    void imdsTroubleSetsDegradedAndPollingRecovers() throws Exception {
        for (String mode : List.of("500", "410", "429", "garbage", "truncated", "400")) {
            imds.failNext(2, mode);
            await().atMost(Duration.ofSeconds(30)).until(poller::degraded);
            await().atMost(Duration.ofSeconds(15)).until(() -> !poller.degraded());
        }
        String id = imds.schedule("Preempt", List.of("vm_1"), Duration.ofSeconds(30), "");
        await().atMost(Duration.ofSeconds(30)).until(() -> appeared.stream().anyMatch(e -> e.eventId().equals(id)));
    }

    @Test
    void hungImdsTimesOutInsteadOfStallingThePoller() throws Exception {
        imds.failNext(1, "slow");
        await().atMost(Duration.ofSeconds(30)).until(poller::degraded);
        String id = imds.schedule("Preempt", List.of("vm_1"), Duration.ofSeconds(30), "");
        await().atMost(Duration.ofSeconds(15)).until(() -> appeared.stream().anyMatch(e -> e.eventId().equals(id)));
    }

    @Test
    void aCancelledPreemptIsReportedAsEndedAndAnEndedFreezeToo() throws Exception {
        String preempt = imds.schedule("Preempt", List.of("vm_1"), Duration.ofSeconds(30), "Spot eviction");
        String freeze = imds.schedule("Freeze", List.of("vm_1"), Duration.ofSeconds(15), "host update");
        await().atMost(Duration.ofSeconds(30)).until(() -> appeared.size() == 2);

        imds.remove(preempt); // Azure cancelled it
        await().atMost(Duration.ofSeconds(30)).until(() -> ended.size() == 1);
        assertThat(ended.get(0).eventId()).isEqualTo(preempt);

        imds.remove(freeze);
        await().atMost(Duration.ofSeconds(30)).until(() -> ended.size() == 2);
        assertThat(ended.get(1).eventId()).isEqualTo(freeze);
    }

    @Test
    void aPreemptAppearingRightAfterAnOutageIsSeenAtTheNextOnesecondPoll() throws Exception {
        List<ScheduledEvent> seen = new CopyOnWriteArrayList<>();
        try (ScheduledEventsPoller oneSecond = new ScheduledEventsPoller(
                new ImdsClient(imds.baseUrl(), Duration.ofMillis(500)), "vm_1", 1000, new ScheduledEventsPoller.Listener() {
                    @Override
                    public void appeared(ScheduledEvent event, Instant observedAt) {
                        seen.add(event);
                    }

                    @Override
                    public void ended(ScheduledEvent event) {
                    }
                }, new ApprovalPolicy(false, false), () -> true, id -> true, Clock.systemUTC())) {
            poller.close(); // only the one-second poller from here on
            imds.failNext(6, "503");
            oneSecond.start();
            await().atMost(Duration.ofSeconds(60)).until(oneSecond::degraded);
            await().atMost(Duration.ofSeconds(60)).until(() -> imds.failuresLeft() == 0); // the outage is over

            long outageOver = System.nanoTime();
            String id = imds.schedule("Preempt", List.of("vm_1"), Duration.ofSeconds(30), "");

            await().atMost(Duration.ofSeconds(30)).until(() -> seen.stream().anyMatch(e -> e.eventId().equals(id)));
            System.out.printf("Preempt seen %d ms after the IMDS outage ended%n",
                    (System.nanoTime() - outageOver) / 1_000_000);
            assertThat(oneSecond.degraded()).isFalse();
            assertThat(imds.throttledCount()).isZero();
        }
    }

    @Test
    void afterAnErrorTheNextPollComesOneJitteredIntervalLaterNeverMore() {
        for (double random : new double[] {0, 0.25, 0.5, 0.999999}) {
            long next = ScheduledEventsPoller.nextDelayAfterError(1000, random);
            assertThat(next).isBetween(900L, 1100L);
        }
        assertThat(ScheduledEventsPoller.nextDelayAfterError(100, 0)).as("IMDS allows 5 requests a second")
                .isEqualTo(250);
    }

    @Test
    void neverExceedsTheImdsRateLimit() throws Exception {
        Thread.sleep(3000);
        assertThat(imds.throttledCount()).isZero();
        assertThat(imds.servedCount()).isBetween(8L, 14L); // every 250 ms
    }
}
