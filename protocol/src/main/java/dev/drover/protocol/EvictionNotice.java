package dev.drover.protocol;

/**
 * Agent → coordinator, reliable: a Scheduled Event names this VM (specs/azure.md §1.2).
 *
 * @param notBeforeMillis the event's NotBefore as epoch millis; 0 when the event has started or none was given
 * @param observedAtMillis agent wall clock when the agent first saw the event, for reaction-time measurement
 */
public record EvictionNotice(long seq, String eventId, EvictionType eventType, long notBeforeMillis,
        String description, long observedAtMillis) implements Reliable {

    public EvictionNotice {
        Fields.positive(seq, "evictionNotice.seq");
        Fields.nonBlank(eventId, "evictionNotice.eventId");
        java.util.Objects.requireNonNull(eventType, "evictionNotice.eventType must not be null");
        Fields.nonNegative(notBeforeMillis, "evictionNotice.notBeforeMillis");
        Fields.text(description, "evictionNotice.description");
    }

    @Override
    public MessageType type() {
        return MessageType.EVICTION_NOTICE;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq).shortString(eventId, "evictionNotice.eventId").code(eventType).i64(notBeforeMillis)
                .longString(description, "evictionNotice.description").i64(observedAtMillis);
    }

    static EvictionNotice read(WireReader r) {
        return new EvictionNotice(r.i64("evictionNotice.seq"), r.shortString("evictionNotice.eventId"),
                r.code(EvictionType.class, "evictionNotice.eventType"), r.i64("evictionNotice.notBeforeMillis"),
                r.longString("evictionNotice.description"), r.i64("evictionNotice.observedAtMillis"));
    }
}
