package dev.drover.protocol;

/** Every message of the Drover agent protocol. One record per message type; PROTOCOL.md lists them all. */
public sealed interface Message permits Hello, Welcome, Reject, Heartbeat, TaskProgress, Ack, Ping,
        Pong, Bye, Reliable {

    MessageType type();

    /** Writes the v1 fields of the body (everything after the type byte). */
    void writeBody(WireWriter w);
}
