package dev.drover.agent.imds;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EventTrackerTest {
    private static ScheduledEvent event(String id, String type, String status, String... resources) {
        return new ScheduledEvent(id, type, List.of(resources), status,
                status.equals("Scheduled") ? Optional.of(Instant.EPOCH) : Optional.empty(), "", "Platform", -1);
    }

    @Test
    void reportsEachEventForThisVmOnceAndItsEndWhenItVanishes() {
        EventTracker tracker = new EventTracker("vm_1");
        ScheduledEvent preempt = event("E1", "Preempt", "Scheduled", "vm_1");

        var first = tracker.observe(new ScheduledEvents(2, List.of(preempt)));
        var started = tracker.observe(new ScheduledEvents(3, List.of(event("E1", "Preempt", "Started", "vm_1"))));
        var gone = tracker.observe(new ScheduledEvents(4, List.of()));

        assertThat(first.appeared()).containsExactly(preempt);
        assertThat(started.appeared()).as("already reported").isEmpty();
        assertThat(gone.ended()).extracting(ScheduledEvent::eventId).containsExactly("E1");
        assertThat(tracker.active()).isEmpty();
    }

    @Test
    void ignoresEventsForOtherVmsOfThePlacementGroup() {
        EventTracker tracker = new EventTracker("vm_1");

        var changes = tracker.observe(new ScheduledEvents(2, List.of(event("E2", "Preempt", "Scheduled", "vm_2"))));

        assertThat(changes.appeared()).isEmpty();
        assertThat(tracker.active()).isEmpty();
    }

    @Test
    void sameIncarnationIsNotReread() {
        EventTracker tracker = new EventTracker("vm_1");
        tracker.observe(new ScheduledEvents(5, List.of()));

        var changes = tracker.observe(new ScheduledEvents(5, List.of(event("E3", "Terminate", "Scheduled", "vm_1"))));

        assertThat(changes.appeared()).isEmpty();
    }

    @Test
    void approvesOnlyOwnTerminateOnceIdleAndKnownToTheCoordinator() {
        ApprovalPolicy policy = new ApprovalPolicy(true, false);
        ScheduledEvent own = event("T1", "Terminate", "Scheduled", "vm_1");
        ScheduledEvent shared = event("T2", "Terminate", "Scheduled", "vm_1", "vm_2");
        ScheduledEvent preempt = event("P1", "Preempt", "Scheduled", "vm_1");
        ScheduledEvent started = event("T3", "Terminate", "Started", "vm_1");
        var all = List.of(own, shared, preempt, started);

        assertThat(policy.toApprove(all, "vm_1", true, id -> true, Set.of())).containsExactly("T1");
        assertThat(policy.toApprove(all, "vm_1", false, id -> true, Set.of())).as("a task still runs").isEmpty();
        assertThat(policy.toApprove(all, "vm_1", true, id -> false, Set.of())).as("coordinator not told yet").isEmpty();
        assertThat(policy.toApprove(all, "vm_1", true, id -> true, Set.of("T1"))).as("approved already").isEmpty();
        assertThat(new ApprovalPolicy(true, true).toApprove(all, "vm_1", true, id -> true, Set.of()))
                .containsExactly("T1", "P1");
        assertThat(new ApprovalPolicy(false, false).toApprove(all, "vm_1", true, id -> true, Set.of())).isEmpty();
    }
}
