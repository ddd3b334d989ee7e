package dev.drover.coordinator.gateway;

import dev.drover.coordinator.config.CoordinatorConfig;

/** The numbers the gateway tells agents in Welcome and enforces on connections. */
record GatewaySettings(int heartbeatIntervalMillis, int jitterPercent, int maxFrameLength, int helloTimeoutMillis,
        int idleCloseMillis, int maxConnections) {

    static GatewaySettings from(CoordinatorConfig config) {
        var liveness = config.liveness();
        return new GatewaySettings(liveness.heartbeatIntervalMillis(), liveness.jitterPercent(),
                config.gateway().maxFrameLength(), config.gateway().helloTimeoutMillis(),
                liveness.lostAfterMillis(), config.gateway().maxConnections());
    }
}
