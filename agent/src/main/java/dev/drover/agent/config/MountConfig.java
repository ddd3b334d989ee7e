package dev.drover.agent.config;

import java.util.List;

/**
 * One shared-storage mount. The same shape serves an Avere-style cache (several client-facing addresses),
 * Azure NetApp Files, Azure Files NFS, Blob NFS 3.0 and on-prem filers (one address).
 *
 * @param servers the cache's client-facing addresses; each node picks one by its identity
 * @param nfsVersion 3 (default, as vFXT client guidance) or 4 / 4.1
 * @param options NFS mount options; default {@value #DEFAULT_OPTIONS}
 * @param backend {@code nfs} through the system's mount helper, or {@code bind} to bind a local directory
 *     (tests and machines without an NFS client; {@code export} is then the local path)
 * @param probeFile a small file under the mount point read by each health probe ("" = only stat the root)
 */
public record MountConfig(String name, List<String> servers, String export, String mountPoint, String nfsVersion,
        String options, String backend, String probeFile, Integer probeIntervalMillis, Integer probeTimeoutMillis) {
    public static final String DEFAULT_OPTIONS = "hard,proto=tcp,mountproto=tcp,retry=30";
    public static final int DEFAULT_PROBE_INTERVAL_MILLIS = 10_000;
    public static final int DEFAULT_PROBE_TIMEOUT_MILLIS = 5_000;

    public MountConfig {
        if (mountPoint == null || !mountPoint.startsWith("/")) {
            throw new IllegalArgumentException("mounts[].mountPoint must be an absolute path, got " + mountPoint);
        }
        String where = "mounts[" + mountPoint + "]";
        name = name != null ? name : mountPoint;
        servers = servers != null ? List.copyOf(servers) : List.of();
        nfsVersion = nfsVersion != null ? nfsVersion : "3";
        options = options != null ? options : DEFAULT_OPTIONS;
        backend = backend != null ? backend : "nfs";
        probeFile = probeFile != null ? probeFile : "";
        probeIntervalMillis = probeIntervalMillis != null ? probeIntervalMillis : DEFAULT_PROBE_INTERVAL_MILLIS;
        probeTimeoutMillis = probeTimeoutMillis != null ? probeTimeoutMillis : DEFAULT_PROBE_TIMEOUT_MILLIS;
        if (export == null || !export.startsWith("/")) {
            throw new IllegalArgumentException(where + ".export must be an absolute path, got " + export);
        }
        if (!backend.equals("nfs") && !backend.equals("bind")) {
            throw new IllegalArgumentException(where + ".backend must be nfs or bind, got " + backend);
        }
        if (backend.equals("nfs") && servers.isEmpty()) {
            throw new IllegalArgumentException(where + ".servers must list at least one address");
        }
        if (!List.of("3", "4", "4.0", "4.1", "4.2").contains(nfsVersion)) {
            throw new IllegalArgumentException(where + ".nfsVersion must be 3, 4, 4.1 or 4.2, got " + nfsVersion);
        }
        if (options.contains(" ") || options.contains("vers=") || options.contains("nfsvers=")) {
            throw new IllegalArgumentException(where + ".options must be a comma list without spaces or vers= "
                    + "(set nfsVersion), got " + options);
        }
        if (probeTimeoutMillis < 100 || probeIntervalMillis < probeTimeoutMillis) {
            throw new IllegalArgumentException(where + ".probeTimeoutMillis must be >= 100 and <= probeIntervalMillis");
        }
    }

    public int nfsMajorVersion() {
        return nfsVersion.startsWith("4") ? 4 : 3;
    }
}
