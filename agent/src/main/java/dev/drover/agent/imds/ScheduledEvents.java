package dev.drover.agent.imds;

import java.util.List;

/** A Scheduled Events document: the incarnation (changes whenever the events change) and the events. */
public record ScheduledEvents(long incarnation, List<ScheduledEvent> events) {
    public ScheduledEvents {
        events = List.copyOf(events);
    }
}
