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
 * @param hostNames extension 1: the machine's host names and addresses; {@link HostNames#NONE} when not stated in
 *     this heartbeat (the agent states them in the first heartbeat of each connection and when they change)
 */
public record Heartbeat(long sentAtMillis, AgentState state, int runningTasks, HostMetrics metrics,
        List<MountHealth> mounts, boolean imdsDegraded, long droppedEvents, HostNames hostNames) implements Message {

    static final int EXT_HOST_NAMES = 1;

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
        Objects.requireNonNull(hostNames, "heartbeat.hostNames must not be null (HostNames.NONE when not stated)");
    }

    /** A heartbeat that does not state host names. */
    public Heartbeat(long sentAtMillis, AgentState state, int runningTasks, HostMetrics metrics,
            List<MountHealth> mounts, boolean imdsDegraded, long droppedEvents) {
        this(sentAtMillis, state, runningTasks, metrics, mounts, imdsDegraded, droppedEvents, HostNames.NONE);
    }

    /** This heartbeat stating the machine's host names and addresses. */
    public Heartbeat withHostNames(HostNames names) {
        return new Heartbeat(sentAtMillis, state, runningTasks, metrics, mounts, imdsDegraded, droppedEvents, names);
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
        if (!hostNames.isEmpty()) {
            w.extension(EXT_HOST_NAMES, hostNames::write);
        }
    }

    static Heartbeat read(WireReader r) {
        long sentAt = r.i64("heartbeat.sentAtMillis");
        AgentState state = r.code(AgentState.class, "heartbeat.state");
        int running = r.u16("heartbeat.runningTasks");
        HostMetrics metrics = HostMetrics.read(r);
        List<MountHealth> mounts = r.list(ProtocolLimits.MAX_MOUNTS, "heartbeat.mounts", MountHealth::read);
        boolean imdsDegraded = r.bool("heartbeat.imdsDegraded");
        long dropped = r.i64("heartbeat.droppedEvents");
        HostNames[] names = {HostNames.NONE};
        r.readExtensions("HEARTBEAT", (tag, v) -> {
            if (tag != EXT_HOST_NAMES) {
                return false;
            }
            names[0] = HostNames.read(v); // a blank or oversized entry: IllegalArgument → protocol error
            return true;
        });
        return new Heartbeat(sentAt, state, running, metrics, mounts, imdsDegraded, dropped, names[0]);
    }
}
