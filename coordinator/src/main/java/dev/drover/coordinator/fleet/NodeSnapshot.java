package dev.drover.coordinator.fleet;

import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.NodeIdentity;
import java.time.Instant;
import java.util.List;

/** An immutable copy of a {@link Node} at one moment; what the API shows and what decisions read. */
public record NodeSnapshot(String id, NodeIdentity identity, String agentVersion, int protocolVersion, int slots,
        int gpus, NodeState state, String stateReason, Instant stateSince, Instant lastSeen, Instant enrolledAt,
        Heartbeat lastHeartbeat, Instant lastHeartbeatAt, EvictionNotice eviction, String sessionId, boolean connected,
        String remoteAddress, List<Transition> history, List<TaskView> runningTasks, List<TaskView> recentTasks,
        HostNames hostNames) {
}
