package dev.drover.agent.mounts;

import dev.drover.agent.config.MountConfig;
import java.util.List;

/** The exact command lines the agent runs to mount and unmount, built here so they can be unit tested. */
public final class MountCommand {
    private MountCommand() {
    }

    /** {@code mount -t nfs -o vers=3,hard,... server:/export /mnt/point}, or a bind mount for the bind backend. */
    public static List<String> mount(MountConfig m, String server) {
        if (m.backend().equals("bind")) {
            return List.of("mount", "--bind", m.export(), m.mountPoint());
        }
        String host = server.contains(":") && !server.startsWith("[") ? "[" + server + "]" : server; // IPv6
        return List.of("mount", "-t", "nfs", "-o", "vers=" + m.nfsVersion() + "," + m.options(),
                host + ":" + m.export(), m.mountPoint());
    }

    /**
     * Lazy unmount, used only to recover a stale handle and only when no task runs: {@code -l} detaches at
     * once even if the server is gone, where a plain umount would hang on a dead server.
     */
    public static List<String> unmount(MountConfig m) {
        return List.of("umount", "-l", m.mountPoint());
    }
}
