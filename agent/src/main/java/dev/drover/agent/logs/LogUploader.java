package dev.drover.agent.logs;

import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.BlobServiceVersion;
import dev.drover.agent.config.LogConfig;
import dev.drover.protocol.TaskRef;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads task logs from the spool to Blob on a thread of its own, oldest first, so uploads never delay a
 * render. A failure (Blob down, throttled, network) leaves the log in the spool and retries with backoff.
 */
public final class LogUploader implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(LogUploader.class);
    private static final long MAX_BACKOFF_MILLIS = 60_000;

    private final LogSpool spool;
    private final BlobContainerClient container;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "drover-log-upload");
        t.setDaemon(true);
        return t;
    });
    private long backoffMillis = 1000;
    private boolean containerReady;

    public LogUploader(LogConfig config) throws IOException {
        this.spool = new LogSpool(Path.of(config.spoolDir()), config.maxSpoolBytes());
        BlobServiceClientBuilder builder = new BlobServiceClientBuilder()
                .retryOptions(new RetryOptions(new ExponentialBackoffOptions().setMaxRetries(2)
                        .setBaseDelay(Duration.ofMillis(500)).setMaxDelay(Duration.ofSeconds(5))));
        if (config.connectionString() != null) {
            // Azurite lags the SDK's newest service version (ENV-NOTES §3); this one both support.
            builder.connectionString(config.connectionString()).serviceVersion(BlobServiceVersion.V2025_11_05);
        } else {
            builder.endpoint(config.accountUrl()).credential(new DefaultAzureCredentialBuilder().build());
        }
        this.container = builder.buildClient().getBlobContainerClient(config.container());
    }

    /** {@code <pool>/<jid>/<tid>/<cid>-<node>.log}. */
    public static String blobName(String pool, TaskRef task, String node) {
        return pool + "/" + task.jid() + "/" + task.tid() + "/" + task.cid() + "-" + node + ".log";
    }

    public void start() {
        worker.execute(this::drain);
    }

    /** Takes a copy of the log now and uploads it when it can. */
    public void submit(Path log, String blobName) {
        try {
            if (!spool.add(log, blobName)) {
                LOGGER.atWarn().addKeyValue("blob", blobName).log("task log larger than the whole spool; not uploaded");
            }
            worker.execute(this::drain);
        } catch (IOException e) {
            LOGGER.atWarn().addKeyValue("blob", blobName).log("cannot spool task log: " + e.getMessage());
        }
    }

    private void drain() {
        try {
            for (LogSpool.Entry e : spool.entries()) {
                if (!containerReady) {
                    container.createIfNotExists();
                    containerReady = true;
                }
                container.getBlobClient(e.blobName()).uploadFromFile(e.file().toString(), true);
                spool.remove(e);
                LOGGER.atInfo().addKeyValue("blob", e.blobName()).log("task log uploaded");
            }
            backoffMillis = 1000;
        } catch (IOException | RuntimeException e) {
            LOGGER.atWarn().addKeyValue("retryMillis", backoffMillis)
                    .log("task log upload failed; kept in spool: " + e.getMessage());
            worker.schedule(this::drain, backoffMillis, TimeUnit.MILLISECONDS);
            backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        }
    }

    public int pending() {
        try {
            return spool.entries().size();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
