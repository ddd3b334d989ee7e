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
 * on its own thread, so a slow IMDS never stalls the network loop. Errors of any kind back off (doubling,
 * capped) and set the degraded flag that heartbeats carry; the poller never stops.
 */
public final class ScheduledEventsPoller implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ScheduledEventsPoller.class);
    static final long MAX_BACKOFF_MILLIS = 5000;

    /** What the agent does with news about this VM. */
    public interface Listener {
        void appeared(ScheduledEvent event, Instant observedAt);

        void ended(ScheduledEvent event);
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
            approve();
        } catch (ImdsException e) {
            failures++;
            degraded = true;
            next = Math.min(MAX_BACKOFF_MILLIS, pollMillis << Math.min(failures, 10));
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
