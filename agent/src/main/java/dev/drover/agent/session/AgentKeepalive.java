package dev.drover.agent.session;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * Kernel-level liveness of the link to the coordinator (epoll only): TCP keepalive probes a quiet link and
 * TCP_USER_TIMEOUT bounds how long sent data may stay unacknowledged, so a coordinator host that vanished is
 * noticed without any protocol traffic. The timings follow the session's silence allowance, so a coordinator
 * that is merely slow is never cut off earlier by the kernel than by the protocol.
 */
final class AgentKeepalive {
    private AgentKeepalive() {
    }

    static void configure(Channel channel, long silenceMillis) {
        if (!(channel instanceof EpollSocketChannel)) {
            return;
        }
        int seconds = (int) Math.max(3, silenceMillis / 1000);
        channel.config().setOption(EpollChannelOption.TCP_KEEPIDLE, Math.max(1, seconds / 2));
        channel.config().setOption(EpollChannelOption.TCP_KEEPINTVL, Math.max(1, seconds / 6));
        channel.config().setOption(EpollChannelOption.TCP_KEEPCNT, 3);
        channel.config().setOption(EpollChannelOption.TCP_USER_TIMEOUT, (int) (2 * silenceMillis));
    }
}
