package dev.drover.coordinator.fleet;

import java.util.EnumSet;
import java.util.Set;

/**
 * A node's lifecycle as the coordinator sees it (DESIGN.md "Node states"). Each state lists the states it
 * may move to; {@link Node#transition} refuses anything else, so an impossible history cannot be recorded.
 */
public enum NodeState {
    PROVISIONING,
    ENROLLING,
    READY,
    BUSY,
    SUSPECT,
    LOST,
    UNHEALTHY,
    DRAINING,
    DRAINED,
    EVICTING,
    GONE,
    DELETED;

    private Set<NodeState> next;

    static {
        PROVISIONING.next = EnumSet.of(ENROLLING, LOST, GONE, DELETED);
        ENROLLING.next = EnumSet.of(READY, BUSY, SUSPECT, LOST, EVICTING, GONE, DELETED);
        READY.next = EnumSet.of(BUSY, SUSPECT, UNHEALTHY, DRAINING, DRAINED, EVICTING, GONE, DELETED);
        BUSY.next = EnumSet.of(READY, SUSPECT, UNHEALTHY, DRAINING, EVICTING, GONE, DELETED);
        SUSPECT.next = EnumSet.of(READY, BUSY, LOST, UNHEALTHY, DRAINING, DRAINED, EVICTING, GONE, DELETED);
        LOST.next = EnumSet.of(READY, BUSY, UNHEALTHY, DRAINING, DRAINED, EVICTING, GONE, DELETED);
        UNHEALTHY.next = EnumSet.of(READY, BUSY, SUSPECT, LOST, DRAINING, DRAINED, EVICTING, GONE, DELETED);
        DRAINING.next = EnumSet.of(DRAINED, READY, BUSY, SUSPECT, LOST, EVICTING, GONE, DELETED);
        DRAINED.next = EnumSet.of(DELETED, READY, SUSPECT, LOST, EVICTING, GONE);
        EVICTING.next = EnumSet.of(GONE, SUSPECT, LOST, DELETED, READY);
        GONE.next = EnumSet.of(DELETED, ENROLLING);
        DELETED.next = EnumSet.of(ENROLLING);
    }

    public boolean canMoveTo(NodeState to) {
        return next.contains(to);
    }

    /** States in which the node is expected to send heartbeats, so silence means trouble. */
    public boolean expectsHeartbeats() {
        return this == ENROLLING || this == READY || this == BUSY || this == UNHEALTHY || this == DRAINING
                || this == DRAINED || this == SUSPECT;
    }

    /** States an operator or the scaler chose, which a reconnect must not undo. */
    public boolean isSticky() {
        return this == DRAINING || this == DRAINED || this == EVICTING;
    }
}
