package dev.drover.agent.session;

/**
 * What survives a reconnect: the session id to resume and the delivery store (this agent's stream of
 * events not yet acknowledged, and its position in the coordinator's command stream). A restarted agent
 * process starts a fresh session; whether it keeps its streams depends on the store.
 */
public final class SessionMemory {
    private final DeliveryStore store;
    private volatile String sessionId = "";

    public SessionMemory(int outboxCapacity) {
        this(new MemoryDeliveryStore(outboxCapacity));
    }

    public SessionMemory(DeliveryStore store) {
        this.store = store;
    }

    /** The delivery store: the agent's outbox and its command position. */
    public DeliveryStore outbox() {
        return store;
    }

    public String sessionId() {
        return sessionId;
    }

    void sessionId(String sessionId) {
        this.sessionId = sessionId;
    }
}
