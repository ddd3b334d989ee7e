package dev.drover.coordinator.fleet;

import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Message;

/** The fleet's handle on one live agent connection, so fleet code can talk to agents without knowing Vert.x. */
public interface AgentLink {
    void send(Message message);

    /** Says Bye with the reason and closes the connection. */
    void close(ByeReason reason, String detail);

    String remoteAddress();
}
