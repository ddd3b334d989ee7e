package dev.drover.coordinator.gateway;

import dev.drover.coordinator.fleet.Node;
import dev.drover.protocol.Reliable;
import java.util.OptionalLong;

/**
 * Exactly-once application of agent → coordinator reliable messages (PROTOCOL.md §6). Each connection
 * carries one agent stream, named in its Hello; the ledger says how far that stream has been applied.
 * Everything for one node happens under that node's lock, so a connection superseded on another event loop
 * can never apply a message in between.
 */
final class InboundStreams {
    /** Stream-id prefix for agents that name no stream: their stream is their session (the old rule). */
    static final String SESSION_STREAM = "session:";

    private final DeliveryLedger ledger;

    InboundStreams(DeliveryLedger ledger) {
        this.ledger = ledger;
    }

    /**
     * A connection now carries {@code streamId} for the node (called while the node is being bound, under
     * its lock). A stream the ledger does not have replaces the old one from 0: the agent started a new
     * outbox, and the old stream's messages can no longer arrive on any current connection.
     *
     * @return what Welcome.lastReceivedSeq says: the highest seq of this stream already applied
     */
    long open(String nodeId, String streamId) {
        DeliveryLedger.Position at = ledger.position(nodeId);
        if (!at.streamId().equals(streamId)) {
            ledger.record(nodeId, streamId, 0);
            return 0;
        }
        return at.seq();
    }

    /**
     * Applies {@code message} unless it was applied before, then records it; returns the seq to acknowledge
     * either way. Empty when this connection's stream is no longer the node's stream (a newer connection
     * replaced it): such a message is neither applied nor acknowledged.
     */
    OptionalLong deliver(Node node, String streamId, Reliable message, Runnable apply) {
        synchronized (node) {
            DeliveryLedger.Position at = ledger.position(node.id());
            if (!at.streamId().equals(streamId)) {
                return OptionalLong.empty();
            }
            if (message.seq() <= at.seq()) {
                return OptionalLong.of(at.seq());
            }
            apply.run();
            ledger.record(node.id(), streamId, message.seq());
            return OptionalLong.of(message.seq());
        }
    }

    /** The highest seq applied of {@code streamId} for a node, for keepalive acks. */
    long applied(String nodeId, String streamId) {
        return ledger.position(nodeId).of(streamId);
    }
}
