package dev.drover.coordinator.gateway;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.protocol.LinkTimings;

/**
 * The numbers the gateway tells agents in Welcome and enforces on connections.
 *
 * @param idleCloseMillis an enrolled agent silent this long is disconnected with Bye(IDLE_TIMEOUT): the
 *     node's Suspect time, so a dead or half-open link is shown as disconnected when the node turns Suspect
 * @param keepaliveMillis the gateway writes to each agent at least this often (PROTOCOL.md §6, "Liveness")
 */
record GatewaySettings(int heartbeatIntervalMillis, int jitterPercent, int maxFrameLength, int helloTimeoutMillis,
        int idleCloseMillis, int keepaliveMillis, int maxConnections) {

    static GatewaySettings from(CoordinatorConfig config) {
        var liveness = config.liveness();
        return new GatewaySettings(liveness.heartbeatIntervalMillis(), liveness.jitterPercent(),
                config.gateway().maxFrameLength(), config.gateway().helloTimeoutMillis(),
                (int) liveness.settings().suspectAfter().toMillis(),
                (int) LinkTimings.coordinatorKeepaliveMillis(liveness.heartbeatIntervalMillis()),
                config.gateway().maxConnections());
    }
}
