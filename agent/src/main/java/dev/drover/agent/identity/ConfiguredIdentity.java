package dev.drover.agent.identity;

import dev.drover.agent.config.AgentConfig;
import dev.drover.protocol.NodeIdentity;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** The identity of a machine that is not an Azure VM: node id from config, or the host name. */
public final class ConfiguredIdentity implements IdentitySource {
    private final AgentConfig.Node node;

    public ConfiguredIdentity(AgentConfig.Node node) {
        this.node = node;
    }

    @Override
    public NodeIdentity resolve() {
        String id = node.id() != null ? node.id() : hostName();
        return NodeIdentity.local(id, node.pool());
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("node.id is not set and the host name cannot be resolved", e);
        }
    }
}
