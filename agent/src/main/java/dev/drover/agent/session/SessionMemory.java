package dev.drover.agent.session;

import dev.drover.protocol.InboundSequence;

/**
 * What survives a reconnect: the session id to resume, the reliable events not yet acknowledged by the
 * coordinator, and the last coordinator command processed (so a resent command is not run twice).
 * Lives for the life of the agent process; a restarted agent starts a fresh session (its outbox store may
 * be a journal on disk, which then carries the unacknowledged events over).
 */
public final class SessionMemory {
    private final OutboxStore outbox;
    private final InboundSequence inbound = new InboundSequence();
    private volatile String sessionId = "";

    public SessionMemory(int outboxCapacity) {
        this(new InMemoryOutboxStore(outboxCapacity));
    }

    public SessionMemory(OutboxStore outbox) {
        this.outbox = outbox;
    }

    public OutboxStore outbox() {
        return outbox;
    }

    public InboundSequence inbound() {
        return inbound;
    }

    public String sessionId() {
        return sessionId;
    }

    void sessionId(String sessionId) {
        this.sessionId = sessionId;
    }
}
