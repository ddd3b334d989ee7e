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

    /**
     * The coordinator issued this node's credential (Welcome extension 8). Must keep it durably before returning:
     * the coordinator takes the agent's next message as proof that it did. Throws if it cannot.
     */
    default void credentialIssued(String credential) {
    }

    /** The coordinator wants the VM's attested document for {@code nonce} in the next Hello. */
    default void attestationRequired(String nonce) {
    }
}
