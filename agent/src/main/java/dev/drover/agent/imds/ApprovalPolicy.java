package dev.drover.agent.imds;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which Scheduled Events this agent may approve now. Approval applies to every VM an event lists, so only
 * events naming this VM alone qualify; a Terminate is approved once nothing runs here and the coordinator has
 * acknowledged the notice, so scale-in completes without waiting out the whole notice. A Preempt is never
 * approved unless configured: approving it only brings the eviction closer. Pure.
 */
public final class ApprovalPolicy {
    private final boolean approveTerminate;
    private final boolean approvePreempt;

    public ApprovalPolicy(boolean approveTerminate, boolean approvePreempt) {
        this.approveTerminate = approveTerminate;
        this.approvePreempt = approvePreempt;
    }

    public List<String> toApprove(Collection<ScheduledEvent> active, String vmName, boolean nothingRunning,
            Predicate<String> coordinatorKnows, Set<String> alreadyApproved) {
        List<String> ids = new ArrayList<>();
        if (!nothingRunning) {
            return ids;
        }
        for (ScheduledEvent e : active) {
            boolean typeAllowed = ("Terminate".equalsIgnoreCase(e.type()) && approveTerminate)
                    || ("Preempt".equalsIgnoreCase(e.type()) && approvePreempt);
            if (typeAllowed && "Scheduled".equalsIgnoreCase(e.status()) && e.namesOnly(vmName)
                    && !alreadyApproved.contains(e.eventId()) && coordinatorKnows.test(e.eventId())) {
                ids.add(e.eventId());
            }
        }
        return ids;
    }
}
