package dev.drover.agent.session;

import dev.drover.protocol.Outbox;
import dev.drover.protocol.Reliable;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The delivery store in memory: survives reconnects, not process restarts (a restarted agent starts a new
 * stream, and whatever was unacknowledged is lost unless a durable store is used).
 */
public final class MemoryDeliveryStore implements DeliveryStore {
    private final Outbox<Reliable> outbox;
    private String commandStreamId = "";
    private long lastCommandSeq;

    public MemoryDeliveryStore(int capacity) {
        this.outbox = new Outbox<>(capacity);
    }

    @Override
    public String streamId() {
        return outbox.streamId();
    }

    @Override
    public Reliable add(LongFunction<Reliable> create) {
        return outbox.add(create);
    }

    @Override
    public int acknowledge(long seq) {
        return outbox.acknowledge(seq);
    }

    @Override
    public List<Reliable> unacknowledged() {
        return outbox.unacknowledged();
    }

    @Override
    public boolean isSettled(long seq) {
        return outbox.isSettled(seq);
    }

    @Override
    public int size() {
        return outbox.size();
    }

    @Override
    public long dropped() {
        return outbox.dropped();
    }

    @Override
    public synchronized String commandStreamId() {
        return commandStreamId;
    }

    @Override
    public synchronized long lastCommandSeq() {
        return lastCommandSeq;
    }

    @Override
    public synchronized void commandProcessed(String streamId, long seq) {
        commandStreamId = streamId;
        lastCommandSeq = seq;
    }
}
