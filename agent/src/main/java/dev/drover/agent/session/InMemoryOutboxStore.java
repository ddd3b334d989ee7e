package dev.drover.agent.session;

import dev.drover.protocol.Outbox;
import dev.drover.protocol.Reliable;
import java.util.List;
import java.util.UUID;
import java.util.function.LongFunction;

/** An outbox that lives as long as the agent process: a restart starts a new stream. */
public final class InMemoryOutboxStore implements OutboxStore {
    private final Outbox<Reliable> outbox;
    private final String streamId = UUID.randomUUID().toString();

    public InMemoryOutboxStore(int capacity) {
        this.outbox = new Outbox<>(capacity);
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
    public boolean isSettled(long seq) {
        return outbox.isSettled(seq);
    }

    @Override
    public List<Reliable> unacknowledged() {
        return outbox.unacknowledged();
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
    public long lastSeq() {
        return outbox.lastSeq();
    }

    @Override
    public String streamId() {
        return streamId;
    }

    @Override
    public void close() {
    }
}
