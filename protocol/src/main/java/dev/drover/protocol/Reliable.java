package dev.drover.protocol;

/**
 * A message that must not be lost or doubled. The sender numbers it, keeps it until the peer acknowledges
 * that sequence number, and resends it after a reconnect; the receiver drops any sequence it has already
 * seen. See {@link Outbox} and {@link InboundSequence}.
 */
public sealed interface Reliable extends Message permits EvictionNotice, TaskStarted, TaskFinished, DrainState,
        Drain, RunTask, CancelTask {

    /** Sequence number within the sender's stream: starts at 1 and increases by one per message; never 0. */
    long seq();
}
