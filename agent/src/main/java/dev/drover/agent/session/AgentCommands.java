package dev.drover.agent.session;

import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.Reliable;

/** What the session needs from the rest of the agent: what to say, and who acts on coordinator commands. */
public interface AgentCommands {

    /** A Hello for a new connection, resuming {@code sessionId} (empty for none) after {@code lastReceivedSeq}. */
    Hello hello(String sessionId, long lastReceivedSeq);

    /** The current heartbeat; called on the network loop, so it must be quick. */
    Heartbeat heartbeat();

    /**
     * The machine's host names and addresses (Heartbeat extension 1), sent in the first heartbeat of each connection
     * and again when they change; called on the network loop, so it must be quick.
     */
    default HostNames hostNames() {
        return HostNames.NONE;
    }

    /** A new (not duplicate) reliable command from the coordinator: Drain, RunTask or CancelTask. */
    void onCommand(Reliable command);
}
