package dev.drover.coordinator.gateway;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The delivery ledger kept in memory: correct across reconnects and agent restarts, forgotten when the
 * coordinator process ends (a durable store replaces it for coordinator restarts).
 */
public final class MemoryDeliveryLedger implements DeliveryLedger {
    private final ConcurrentHashMap<String, Position> positions = new ConcurrentHashMap<>();

    @Override
    public Position position(String nodeId) {
        return positions.getOrDefault(nodeId, Position.NONE);
    }

    @Override
    public void record(String nodeId, String streamId, long seq) {
        positions.put(nodeId, new Position(streamId, seq));
    }
}
