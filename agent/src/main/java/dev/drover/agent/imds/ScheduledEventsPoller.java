package dev.drover.agent.imds;

import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls Scheduled Events (once a second by default, as Azure recommends: a Preempt gives as little as 30 s)
 * on its own thread, so a slow IMDS never stalls the network loop. Errors of any kind set the degraded flag
 * that heartbeats carry and do not slow the polling: IMDS is local and allows 5 requests a second, so the
 * next try comes one interval later (jittered by up to ±{@link #JITTER_PERCENT} %, so a farm of VMs does not
 * poll in lock step) and a Preempt that appears right after an outage is seen at the next poll, not after a
 * back-off. A hung IMDS costs its request timeout per poll. The poller never stops.
 */
public final class ScheduledEventsPoller implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ScheduledEventsPoller.class);
    static final int JITTER_PERCENT = 10;

    /** What the agent does with news about this VM. */
    public interface Listener {
        void appeared(ScheduledEvent event, Instant observedAt);

        void ended(ScheduledEvent event);

        /** After every successful poll, with this VM's events as they are now: time to re-check decisions. */
        default void polled(List<ScheduledEvent> active, Instant now) {
        }
    }

    private final ImdsClient client;
    private final String vmName;
    private final long pollMillis;
    private final Listener listener;
    private final ApprovalPolicy approvals;
    private final BooleanSupplier nothingRunning;
    private final Predicate<String> coordinatorKnows;
    private final Clock clock;
    private final EventTracker tracker;
    private final Set<String> approved = new HashSet<>();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "drover-imds-poller");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean degraded;
    private int failures;

    public ScheduledEventsPoller(ImdsClient client, String vmName, long pollMillis, Listener listener,
            ApprovalPolicy approvals, BooleanSupplier nothingRunning, Predicate<String> coordinatorKnows, Clock clock) {
        this.client = client;
        this.vmName = vmName;
        this.pollMillis = pollMillis;
        this.listener = listener;
        this.approvals = approvals;
        this.nothingRunning = nothingRunning;
        this.coordinatorKnows = coordinatorKnows;
        this.clock = clock;
        this.tracker = new EventTracker(vmName);
    }

    public void start() {
        executor.schedule(this::poll, 0, TimeUnit.MILLISECONDS);
    }

    /** True while IMDS has been failing; eviction notices may then arrive late or not at all. */
    public boolean degraded() {
        return degraded;
    }

    private void poll() {
        long next = pollMillis;
        try {
            ScheduledEvents document = client.scheduledEvents();
            Instant observedAt = clock.instant();
            if (degraded) {
                LOGGER.atInfo().addKeyValue("failures", failures).log("IMDS scheduled events answering again");
            }
            degraded = false;
            failures = 0;
            EventTracker.Changes changes = tracker.observe(document);
            changes.appeared().forEach(e -> listener.appeared(e, observedAt));
            changes.ended().forEach(e -> {
                approved.remove(e.eventId());
                listener.ended(e);
            });
            listener.polled(tracker.active(), observedAt);
            approve();
        } catch (ImdsException e) {
            failures++;
            degraded = true;
            next = nextDelayAfterError(pollMillis, java.util.concurrent.ThreadLocalRandom.current().nextDouble());
            var log = failures == 1 || failures % 30 == 0 ? LOGGER.atWarn() : LOGGER.atDebug();
            log.addKeyValue("failures", failures).addKeyValue("status", e.status()).addKeyValue("retryMillis", next)
                    .log("IMDS scheduled events failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            // A bug here must not end eviction polling for the life of the VM.
            failures++;
            degraded = true;
            LOGGER.atError().setCause(e).log("unexpected error polling scheduled events");
        }
        if (!executor.isShutdown()) {
            executor.schedule(this::poll, next, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The wait before the next poll after a failed one: the normal interval, jittered by up to
     * ±{@link #JITTER_PERCENT} % and never below 250 ms (IMDS allows 5 requests a second per VM). Pure.
     *
     * @param random uniform in [0, 1)
     */
    static long nextDelayAfterError(long pollMillis, double random) {
        double factor = 1 + JITTER_PERCENT / 100.0 * (2 * random - 1);
        return Math.max(250, Math.round(pollMillis * factor));
    }

    private void approve() throws ImdsException, InterruptedException {
        List<String> ids = approvals.toApprove(tracker.active(), vmName, nothingRunning.getAsBoolean(),
                coordinatorKnows, approved);
        if (!ids.isEmpty()) {
            client.approve(ids);
            approved.addAll(ids);
            LOGGER.atInfo().addKeyValue("eventIds", ids).log("approved scheduled events for this VM");
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
