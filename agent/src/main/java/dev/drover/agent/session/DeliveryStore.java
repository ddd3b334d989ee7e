package dev.drover.agent.session;

import dev.drover.protocol.Reliable;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Where the agent keeps its reliable-delivery state (PROTOCOL.md §6): its own agent → coordinator stream
 * (id, numbered messages not yet acknowledged) and its position in the coordinator → agent stream. The
 * session layer talks only to this interface, so a store on disk can replace {@link MemoryDeliveryStore}.
 *
 * <p>Contract for a durable implementation: {@link #add} is durable before it returns (the event may be sent
 * the moment it returns); the stream id and sequence survive process restarts, so a restarted agent resends
 * what was not acknowledged under the same stream and the coordinator drops what it already applied;
 * {@link #commandProcessed} is called only after the command's effect, and is durable before the Ack goes
 * out. Implementations are thread-safe (events are added from task threads, acknowledged on the network loop).
 */
public interface DeliveryStore {

    /** The id of this agent's stream: non-blank, at most 64 characters, fixed for the life of the store. */
    String streamId();

    /** Numbers and keeps the next event (seq = last + 1); when full, drops and counts the oldest. */
    Reliable add(LongFunction<Reliable> create);

    /** Forgets every event up to and including {@code seq}; returns how many were released. */
    int acknowledge(long seq);

    /** Events not yet acknowledged, oldest first. */
    List<Reliable> unacknowledged();

    /** True once {@code seq} was assigned and is no longer pending (acknowledged, or dropped when full). */
    boolean isSettled(long seq);

    int size();

    /** Events dropped because the store was full, since the stream began. */
    long dropped();

    /** The coordinator stream this agent follows; empty before the first Welcome that named one. */
    String commandStreamId();

    /** The highest seq of {@link #commandStreamId()} processed; 0 if none. */
    long lastCommandSeq();

    /**
     * Records that {@code seq} of coordinator stream {@code streamId} was processed; with seq 0, that the
     * agent switched to a new coordinator stream (a coordinator without the old stream's memory).
     */
    void commandProcessed(String streamId, long seq);
}
