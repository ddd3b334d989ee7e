package dev.drover.protocol;

/**
 * Agent → coordinator, reliable: a Scheduled Event that an earlier {@link EvictionNotice} reported has left the
 * document while this VM still runs (specs/azure.md §1.2: there is no Completed status; a finished Freeze or
 * Reboot, or a Preempt/Terminate that Azure cancelled, simply vanishes). The coordinator clears the notice
 * and, for a Preempt or Terminate, returns the node to where it was.
 *
 * @param endedAtMillis agent wall clock when the agent first saw the event gone
 */
public record EvictionEnded(long seq, String eventId, EvictionType eventType, long endedAtMillis)
        implements Reliable {

    public EvictionEnded {
        Fields.nonNegative(seq, "evictionEnded.seq");
        Fields.nonBlank(eventId, "evictionEnded.eventId");
        java.util.Objects.requireNonNull(eventType, "evictionEnded.eventType must not be null");
        Fields.nonNegative(endedAtMillis, "evictionEnded.endedAtMillis");
    }

    @Override
    public MessageType type() {
        return MessageType.EVICTION_ENDED;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq).shortString(eventId, "evictionEnded.eventId").code(eventType).i64(endedAtMillis);
    }

    static EvictionEnded read(WireReader r) {
        return new EvictionEnded(r.i64("evictionEnded.seq"), r.shortString("evictionEnded.eventId"),
                r.code(EvictionType.class, "evictionEnded.eventType"), r.i64("evictionEnded.endedAtMillis"));
    }
}
