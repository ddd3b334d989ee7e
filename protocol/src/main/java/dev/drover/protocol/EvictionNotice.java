package dev.drover.protocol;

/**
 * Agent → coordinator, reliable: a Scheduled Event names this VM (specs/azure.md §1.2).
 *
 * @param notBeforeMillis the event's NotBefore as epoch millis; 0 when the event has started or none was given
 * @param observedAtMillis agent wall clock when the agent first saw the event, for reaction-time measurement
 * @param tasksFinishByMillis extension 1: for a Terminate with time to spare, the instant by which every task
 *     running on the node is expected to have finished (NotBefore less the agent's safety margin): the
 *     coordinator gives the node no new work but leaves its running tasks alone. 0 (or absent) means requeue
 *     them now, as for a Preempt; a later notice for the same event with 0 is the agent's fallback when an ETA
 *     slipped
 */
public record EvictionNotice(long seq, String eventId, EvictionType eventType, long notBeforeMillis,
        String description, long observedAtMillis, long tasksFinishByMillis) implements Reliable {

    static final int EXT_TASKS_FINISH_BY = 1;

    public EvictionNotice {
        Fields.positive(seq, "evictionNotice.seq");
        Fields.nonBlank(eventId, "evictionNotice.eventId");
        java.util.Objects.requireNonNull(eventType, "evictionNotice.eventType must not be null");
        Fields.nonNegative(notBeforeMillis, "evictionNotice.notBeforeMillis");
        Fields.text(description, "evictionNotice.description");
        Fields.nonNegative(tasksFinishByMillis, "evictionNotice.tasksFinishByMillis");
    }

    /** A notice whose running tasks are requeued at once (no extension), as every Preempt is. */
    public EvictionNotice(long seq, String eventId, EvictionType eventType, long notBeforeMillis, String description,
            long observedAtMillis) {
        this(seq, eventId, eventType, notBeforeMillis, description, observedAtMillis, 0);
    }

    /** True when the node's running tasks may finish rather than being requeued now. */
    public boolean letsTasksFinish() {
        return tasksFinishByMillis > 0;
    }

    @Override
    public MessageType type() {
        return MessageType.EVICTION_NOTICE;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq).shortString(eventId, "evictionNotice.eventId").code(eventType).i64(notBeforeMillis)
                .longString(description, "evictionNotice.description").i64(observedAtMillis);
        if (tasksFinishByMillis > 0) {
            w.extension(EXT_TASKS_FINISH_BY, v -> v.i64(tasksFinishByMillis));
        }
    }

    static EvictionNotice read(WireReader r) {
        long seq = r.i64("evictionNotice.seq");
        String eventId = r.shortString("evictionNotice.eventId");
        EvictionType type = r.code(EvictionType.class, "evictionNotice.eventType");
        long notBefore = r.i64("evictionNotice.notBeforeMillis");
        String description = r.longString("evictionNotice.description");
        long observedAt = r.i64("evictionNotice.observedAtMillis");
        long[] finishBy = {0};
        r.readExtensions("EVICTION_NOTICE", (tag, v) -> {
            if (tag != EXT_TASKS_FINISH_BY) {
                return false;
            }
            finishBy[0] = v.i64("evictionNotice.tasksFinishByMillis");
            return true;
        });
        return new EvictionNotice(seq, eventId, type, notBefore, description, observedAt, finishBy[0]);
    }
}
