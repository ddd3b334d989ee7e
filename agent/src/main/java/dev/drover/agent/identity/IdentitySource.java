package dev.drover.agent.identity;

import dev.drover.protocol.NodeIdentity;

/**
 * Where the agent learns who it is. Off Azure it is the config; on Azure it is IMDS
 * {@code /metadata/instance}, which is slow to come up at boot, so {@link #resolve()} may block and retry.
 */
public interface IdentitySource {
    NodeIdentity resolve() throws InterruptedException;
}
