package dev.drover.agent.imds;

import dev.drover.agent.identity.IdentitySource;
import dev.drover.protocol.NodeIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's identity from IMDS instance metadata. IMDS can take a while to answer after boot (410 means
 * "retry for up to 70 s"), so this retries with backoff until it gets an answer.
 */
public final class ImdsIdentity implements IdentitySource {
    private static final Logger LOGGER = LoggerFactory.getLogger(ImdsIdentity.class);
    private static final long MAX_WAIT_MILLIS = 30_000;

    private final ImdsClient client;
    private final String pool;
    private volatile InstanceMetadata metadata;

    public ImdsIdentity(ImdsClient client, String pool) {
        this.client = client;
        this.pool = pool;
    }

    @Override
    public NodeIdentity resolve() throws InterruptedException {
        long wait = 500;
        for (int attempt = 1; ; attempt++) {
            try {
                metadata = client.instance();
                NodeIdentity identity = metadata.toIdentity(pool);
                LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId()).addKeyValue("vmName", metadata.name())
                        .addKeyValue("scaleSet", identity.scaleSet()).addKeyValue("priority", identity.priority())
                        .log("identity from IMDS");
                return identity;
            } catch (ImdsException e) {
                LOGGER.atWarn().addKeyValue("attempt", attempt).addKeyValue("retryMillis", wait)
                        .log("IMDS instance metadata not available (" + e.getMessage()
                                + "); off Azure, set imds.enabled: false");
                Thread.sleep(wait);
                wait = Math.min(MAX_WAIT_MILLIS, wait * 2);
            }
        }
    }

    /** The metadata behind the last {@link #resolve()}; the VM name is what Scheduled Events name. */
    public InstanceMetadata metadata() {
        return metadata;
    }
}
