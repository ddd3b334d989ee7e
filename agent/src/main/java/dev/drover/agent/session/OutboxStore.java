package dev.drover.agent.session;

import dev.drover.protocol.Reliable;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Where the agent keeps its reliable events until the coordinator acknowledges them: in memory
 * ({@link InMemoryOutboxStore}) or in a journal on disk that survives an agent restart. One stream of
 * sequence numbers, named by {@link #streamId()}, so a coordinator can tell a continued stream (same id,
 * resent events) from a new one. Implementations are thread-safe.
 */
public interface OutboxStore extends AutoCloseable {

    /** Creates the next event with a fresh sequence number and keeps it until acknowledged. */
    Reliable add(LongFunction<Reliable> create);

    /** Forgets every event up to and including {@code seq}. Returns how many were released. */
    int acknowledge(long seq);

    /** True once {@code seq} was assigned and is no longer pending (acknowledged, or dropped when full). */
    boolean isSettled(long seq);

    /** Everything not yet acknowledged, oldest first. */
    List<Reliable> unacknowledged();

    int size();

    /** Events dropped because the store was full, over the life of the stream. */
    long dropped();

    long lastSeq();

    /** Random id of this stream of sequence numbers, created with it and kept as long as it lives. */
    String streamId();

    @Override
    void close();
}
