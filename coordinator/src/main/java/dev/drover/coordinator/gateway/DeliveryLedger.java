package dev.drover.coordinator.gateway;

import java.util.Objects;

/**
 * What the coordinator remembers, per node, of the agent → coordinator reliable stream (PROTOCOL.md §6):
 * which stream it is reading and the highest sequence it has applied from it. This is what makes a resend
 * after a reconnect or a restart of either side a no-op instead of a second application.
 *
 * <p>Durability contract for a persistent implementation: {@link #record} must be durable when it returns,
 * and it must become durable together with the effect of the message it records (one transaction), because
 * the gateway sends the Ack right after it returns and the agent then forgets the message. A crash between
 * effect and record would apply the message twice; a record without its effect would lose it.
 */
public interface DeliveryLedger {

    /** The stream position for a node; {@link Position#NONE} for a node never heard from. */
    Position position(String nodeId);

    /** Records that {@code seq} of {@code streamId} has been applied for {@code nodeId} (or, with 0, that the node
     *  switched to a new stream). Durable on return. */
    void record(String nodeId, String streamId, long seq);

    /** One node's position in one agent stream. */
    record Position(String streamId, long seq) {
        public static final Position NONE = new Position("", 0);

        public Position {
            Objects.requireNonNull(streamId, "streamId");
            if (seq < 0) {
                throw new IllegalArgumentException("seq must be >= 0, got " + seq);
            }
        }

        /** The highest seq applied of {@code stream}: 0 for a stream this is not. */
        public long of(String stream) {
            return streamId.equals(stream) ? seq : 0;
        }
    }
}
