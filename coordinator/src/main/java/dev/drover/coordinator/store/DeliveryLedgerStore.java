package dev.drover.coordinator.store;

import java.util.Optional;

/**
 * The per-node delivery ledger: the agent's reliable stream (agent → coordinator) and the highest sequence of
 * it the coordinator has processed. Kept in the same transaction as the effects of the message it covers.
 */
public interface DeliveryLedgerStore {

    record Entry(String streamId, long seq) {
    }

    Optional<Entry> load(String nodeId);

    void save(String nodeId, String streamId, long seq);
}
