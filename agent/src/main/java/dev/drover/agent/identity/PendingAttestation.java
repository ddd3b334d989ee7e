package dev.drover.agent.identity;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attested document the coordinator asked for (Reject ATTESTATION_REQUIRED): fetched from IMDS off the network
 * loop as soon as the nonce arrives, and put into the next Hello once. A document is good for one nonce only.
 */
public final class PendingAttestation {
    private static final Logger LOGGER = LoggerFactory.getLogger(PendingAttestation.class);
    /** How long a Hello waits for a fetch still under way (IMDS answers in well under a second). */
    static final long WAIT_MILLIS = 5000;

    /** Fetches the document for a nonce (IMDS in production). */
    @FunctionalInterface
    public interface Fetcher {
        String fetch(String nonce) throws Exception;
    }

    private final Fetcher fetcher;
    private CompletableFuture<String> pending;

    public PendingAttestation(Fetcher fetcher) {
        this.fetcher = fetcher;
    }

    /** Starts fetching the document for {@code nonce}, replacing any earlier request. */
    public synchronized void request(String nonce) {
        pending = CompletableFuture.supplyAsync(() -> {
            try {
                return fetcher.fetch(nonce);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
    }

    /** The document for the next Hello (used up), or empty when none was asked for or it could not be fetched. */
    public String takeForHello() {
        CompletableFuture<String> f;
        synchronized (this) {
            f = pending;
            pending = null;
        }
        if (f == null) {
            return "";
        }
        try {
            return f.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (ExecutionException | TimeoutException e) {
            LOGGER.atWarn().log("cannot fetch the VM's attested document from IMDS: " + e.getMessage()
                    + "; the coordinator will ask again");
            return "";
        }
    }
}
