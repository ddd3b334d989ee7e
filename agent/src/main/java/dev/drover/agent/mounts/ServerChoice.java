package dev.drover.agent.mounts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Picks which of a cache's client-facing addresses this node mounts from, by rendezvous (highest random
 * weight) hashing of the node id: deterministic, even across the farm, and when an address is added or
 * removed only the nodes that must move do. Avere's guidance is to spread clients over all vFXT addresses.
 */
public final class ServerChoice {
    private ServerChoice() {
    }

    public static String pick(String nodeId, List<String> servers) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no servers to choose from");
        }
        String best = null;
        long bestWeight = Long.MIN_VALUE;
        for (String server : servers) {
            long w = weight(nodeId, server);
            if (best == null || w > bestWeight || (w == bestWeight && server.compareTo(best) < 0)) {
                best = server;
                bestWeight = w;
            }
        }
        return best;
    }

    private static long weight(String nodeId, String server) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest((nodeId + "\u0000" + server).getBytes(StandardCharsets.UTF_8));
            long w = 0;
            for (int i = 0; i < 8; i++) {
                w = (w << 8) | (d[i] & 0xff);
            }
            return w;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
