package dev.drover.agent.session;

import dev.drover.protocol.InboundSequence;
import dev.drover.protocol.Outbox;
import dev.drover.protocol.Reliable;

/**
 * What survives a reconnect: the session id to resume, the reliable events not yet acknowledged by the
 * coordinator, and the last coordinator command processed (so a resent command is not run twice).
 * Lives for the life of the agent process; a restarted agent starts a fresh session.
 */
public final class SessionMemory {
    private final Outbox<Reliable> outbox;
    private final InboundSequence inbound = new InboundSequence();
    private volatile String sessionId = "";

    public SessionMemory(int outboxCapacity) {
        this.outbox = new Outbox<>(outboxCapacity);
    }

    public Outbox<Reliable> outbox() {
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
