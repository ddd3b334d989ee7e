package dev.drover.coordinator.gateway;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts connections per remote address that have not finished their Hello, and refuses more than the limit.
 * One host (or attacker) can then hold only a few pending slots, however slowly it sends, and never lock
 * agents on other addresses out. Enrolled connections do not count: a NAT'd rack may hold many.
 */
public final class Admission {
    private final int maxPendingPerAddress;
    private final ConcurrentHashMap<InetAddress, Integer> pending = new ConcurrentHashMap<>();

    public Admission(int maxPendingPerAddress) {
        if (maxPendingPerAddress < 1) {
            throw new IllegalArgumentException("maxPendingPerAddress must be >= 1, got " + maxPendingPerAddress);
        }
        this.maxPendingPerAddress = maxPendingPerAddress;
    }

    /** Takes a pending slot for {@code address}; false (and nothing taken) when it already holds the limit. */
    public boolean tryAdmit(InetAddress address) {
        boolean[] admitted = {false};
        pending.compute(address, (a, n) -> {
            int held = n == null ? 0 : n;
            if (held >= maxPendingPerAddress) {
                return n;
            }
            admitted[0] = true;
            return held + 1;
        });
        return admitted[0];
    }

    /** Gives a slot back (Hello done, or the connection closed before it); call once per admitted connection. */
    public void release(InetAddress address) {
        pending.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    public int pending(InetAddress address) {
        return pending.getOrDefault(address, 0);
    }

    public int addresses() {
        return pending.size();
    }
}
