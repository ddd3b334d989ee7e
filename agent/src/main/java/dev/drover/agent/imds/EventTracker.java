package dev.drover.agent.imds;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns successive Scheduled Events documents into news for this VM: events that appeared and events that
 * ended (an event that disappears has ended; there is no Completed status). Events for other VMs of the
 * placement group reach every VM and are ignored here — reacting to another VM's Preempt would drain the
 * wrong node. Pure: documents in, changes out.
 */
public final class EventTracker {
    private final String vmName;
    private final Map<String, ScheduledEvent> active = new LinkedHashMap<>();
    private long incarnation = Long.MIN_VALUE;

    public EventTracker(String vmName) {
        this.vmName = vmName;
    }

    public Changes observe(ScheduledEvents document) {
        if (document.incarnation() == incarnation) {
            return Changes.NONE; // same incarnation, same content (specs/azure.md §1.2)
        }
        incarnation = document.incarnation();
        Map<String, ScheduledEvent> mine = new LinkedHashMap<>();
        for (ScheduledEvent e : document.events()) {
            if (e.names(vmName)) {
                mine.put(e.eventId(), e);
            }
        }
        List<ScheduledEvent> appeared = new ArrayList<>();
        for (ScheduledEvent e : mine.values()) {
            if (!active.containsKey(e.eventId())) {
                appeared.add(e);
            }
        }
        List<ScheduledEvent> ended = new ArrayList<>();
        for (ScheduledEvent e : active.values()) {
            if (!mine.containsKey(e.eventId())) {
                ended.add(e);
            }
        }
        active.clear();
        active.putAll(mine);
        return new Changes(appeared, ended);
    }

    /** Events naming this VM in the latest document, with their current status. */
    public List<ScheduledEvent> active() {
        return List.copyOf(active.values());
    }

    public record Changes(List<ScheduledEvent> appeared, List<ScheduledEvent> ended) {
        static final Changes NONE = new Changes(List.of(), List.of());
    }
}
