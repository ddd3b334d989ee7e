package dev.drover.agent.imds;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One entry of the Scheduled Events document (specs/azure.md §1.2).
 *
 * @param type as IMDS spells it: Freeze, Reboot, Redeploy, Preempt or Terminate (kept as text so that a type
 *     Azure adds later is still reported rather than breaking the parse)
 * @param notBefore empty once the event has Started (IMDS then sends {@code ""})
 */
public record ScheduledEvent(String eventId, String type, List<String> resources, String status,
        Optional<Instant> notBefore, String description, String source, int durationSeconds) {

    public ScheduledEvent {
        resources = List.copyOf(resources);
    }

    /** True if this VM is among the event's resources. VM names are case-insensitive in Azure. */
    public boolean names(String vmName) {
        return resources.stream().anyMatch(r -> r.equalsIgnoreCase(vmName));
    }

    /** True if this VM is the only resource: approving such an event affects no other VM. */
    public boolean namesOnly(String vmName) {
        return resources.size() == 1 && names(vmName);
    }

    /** Preempt and Terminate take the VM away for good. */
    public boolean removesVm() {
        return "Preempt".equalsIgnoreCase(type) || "Terminate".equalsIgnoreCase(type);
    }
}
