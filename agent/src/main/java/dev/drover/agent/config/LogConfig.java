package dev.drover.agent.config;

/**
 * Where task logs go: an Azure Blob container, reached with the VM's managed identity ({@code accountUrl}) or
 * a connection string (Azurite, development). Logs wait in a bounded local spool until uploaded, so a Blob
 * outage loses nothing and fills no disk.
 */
public record LogConfig(String container, String accountUrl, String connectionString, String spoolDir,
        Long maxSpoolBytes) {
    public static final String DEFAULT_SPOOL_DIR = "/var/spool/drover/logs";
    public static final long DEFAULT_MAX_SPOOL_BYTES = 1L << 30;

    public LogConfig {
        spoolDir = spoolDir != null ? spoolDir : DEFAULT_SPOOL_DIR;
        maxSpoolBytes = maxSpoolBytes != null ? maxSpoolBytes : DEFAULT_MAX_SPOOL_BYTES;
        if (container == null || !container.matches("[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])")) {
            throw new IllegalArgumentException("logs.container must be a Blob container name (3-63 lower-case "
                    + "letters, digits, hyphens), got " + container);
        }
        if ((accountUrl == null) == (connectionString == null)) {
            throw new IllegalArgumentException("logs: set exactly one of logs.accountUrl (managed identity) and "
                    + "logs.connectionString");
        }
        if (maxSpoolBytes < 1L << 20) {
            throw new IllegalArgumentException("logs.maxSpoolBytes must be at least 1 MiB, got " + maxSpoolBytes);
        }
    }

    /** Never print the connection string: it holds the account key. */
    @Override
    public String toString() {
        return "LogConfig[container=" + container + ", accountUrl=" + accountUrl + ", spoolDir=" + spoolDir + "]";
    }
}
