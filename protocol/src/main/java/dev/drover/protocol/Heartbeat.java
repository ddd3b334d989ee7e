package dev.drover.protocol;

import java.util.List;
import java.util.Objects;

/**
 * Agent → coordinator, every heartbeat interval (±jitter). Latest-value: a heartbeat that could not be sent
 * is replaced by the next one, never queued.
 *
 * @param sentAtMillis agent wall clock, for send → visible latency
 * @param imdsDegraded IMDS has been failing (errors, throttling, garbage); eviction notices may be late
 * @param droppedEvents reliable events this agent had to drop because its outbox was full, since start
 */
public record Heartbeat(long sentAtMillis, AgentState state, int runningTasks, HostMetrics metrics,
        List<MountHealth> mounts, boolean imdsDegraded, long droppedEvents) implements Message {

    public Heartbeat {
        Objects.requireNonNull(state, "heartbeat.state must not be null");
        Fields.range(runningTasks, 0, 0xFFFF, "heartbeat.runningTasks");
        Objects.requireNonNull(metrics, "heartbeat.metrics must not be null");
        mounts = List.copyOf(mounts);
        if (mounts.size() > ProtocolLimits.MAX_MOUNTS) {
            throw new IllegalArgumentException("heartbeat.mounts: " + mounts.size() + " items exceed limit "
                    + ProtocolLimits.MAX_MOUNTS);
        }
        Fields.nonNegative(droppedEvents, "heartbeat.droppedEvents");
    }

    @Override
    public MessageType type() {
        return MessageType.HEARTBEAT;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(sentAtMillis).code(state).u16(runningTasks);
        metrics.write(w);
        w.list(mounts, ProtocolLimits.MAX_MOUNTS, "heartbeat.mounts", (ww, m) -> m.write(ww))
                .bool(imdsDegraded).i64(droppedEvents);
    }

    static Heartbeat read(WireReader r) {
        return new Heartbeat(r.i64("heartbeat.sentAtMillis"), r.code(AgentState.class, "heartbeat.state"),
                r.u16("heartbeat.runningTasks"), HostMetrics.read(r),
                r.list(ProtocolLimits.MAX_MOUNTS, "heartbeat.mounts", MountHealth::read),
                r.bool("heartbeat.imdsDegraded"), r.i64("heartbeat.droppedEvents"));
    }
}
