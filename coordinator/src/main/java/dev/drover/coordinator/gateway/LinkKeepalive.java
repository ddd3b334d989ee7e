package dev.drover.coordinator.gateway;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * Kernel-level liveness for an agent connection (epoll only; Vert.x exposes no keepalive timings). TCP
 * keepalive probes an idle link and TCP_USER_TIMEOUT bounds how long written data may stay unacknowledged,
 * so a peer host that vanished is noticed within the Suspect time even while the gateway's own silence
 * timer is not yet due. Both cost nothing while the link carries traffic.
 */
final class LinkKeepalive {
    private LinkKeepalive() {
    }

    static void configure(Channel channel, GatewaySettings settings) {
        if (!(channel instanceof EpollSocketChannel)) {
            return; // NIO: SO_KEEPALIVE with the kernel's defaults only (set on the server options)
        }
        int suspectSeconds = Math.max(3, settings.idleCloseMillis() / 1000);
        channel.config().setOption(EpollChannelOption.TCP_KEEPIDLE, Math.max(1, suspectSeconds / 3));
        channel.config().setOption(EpollChannelOption.TCP_KEEPINTVL, Math.max(1, suspectSeconds / 6));
        channel.config().setOption(EpollChannelOption.TCP_KEEPCNT, 3);
        channel.config().setOption(EpollChannelOption.TCP_USER_TIMEOUT, settings.idleCloseMillis());
    }
}
