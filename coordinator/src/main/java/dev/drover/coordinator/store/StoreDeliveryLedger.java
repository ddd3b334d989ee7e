package dev.drover.coordinator.store;

import dev.drover.coordinator.gateway.DeliveryLedger;

/**
 * The gateway's delivery ledger kept in the state store, so a restarted coordinator still knows how far each
 * agent's stream was applied. {@link #record} joins the transaction of the event's effects when called inside
 * {@code NodeJournal.atomically} (the gateway does so), which is what makes the Ack safe to send after it.
 */
public final class StoreDeliveryLedger implements DeliveryLedger {
    private final DeliveryLedgerStore store;

    public StoreDeliveryLedger(DeliveryLedgerStore store) {
        this.store = store;
    }

    @Override
    public Position position(String nodeId) {
        return store.load(nodeId).map(e -> new Position(e.streamId(), e.seq())).orElse(Position.NONE);
    }

    @Override
    public void record(String nodeId, String streamId, long seq) {
        store.save(nodeId, streamId, seq);
    }
}
