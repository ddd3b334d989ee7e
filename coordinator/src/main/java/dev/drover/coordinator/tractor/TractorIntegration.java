package dev.drover.coordinator.tractor;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.config.CoordinatorConfigFile;
import dev.drover.coordinator.fleet.NodeRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;

/**
 * Drover's side of one Tractor engine, wired from config: the client (with the site's password, if any), the
 * shared blade list, the blade control that reconciles NIMBY/ejectall/delist until done, and the queue source.
 * What the engine sees from Drover, at the defaults: one Job-table query a second (more pages only past
 * {@value TractorClient#JOB_PAGE} live jobs, then spaced to keep the rate), the blade list every 10 s (and once
 * when a drained node's blade is checked), limits every 60 s if configured, and control calls as nodes leave.
 */
public final class TractorIntegration {
    private final TractorClient client;
    private final BladeList bladeList;
    private final TractorBlades blades;
    private final TractorQueueSource queue;

    public TractorIntegration(CoordinatorConfig.Tractor t, Vertx vertx, NodeRegistry registry, Clock clock) {
        String password = t.passwordFile() != null ? CoordinatorConfigFile.readSecret(t.passwordFile(),
                "tractor.passwordFile") : System.getenv("TRACTOR_PASSWORD");
        client = new TractorClient(WebClient.create(vertx), t.host(), t.port(), t.user(), password, t.timeoutMillis());
        bladeList = new BladeList(client, clock);
        long bladeMaxAge = t.bladeListSeconds() * 1000L;
        blades = new TractorBlades(vertx, client, bladeList, registry, clock, bladeMaxAge);
        queue = new TractorQueueSource(vertx, client, t.pollMillis(), t.licenceLimits(), t.limitsPollSeconds() * 1000L,
                blades, bladeList, registry::snapshot, bladeMaxAge);
    }

    public void start() {
        blades.start();
        queue.start();
    }

    public void stop() {
        queue.stop();
        blades.stop();
    }

    public TractorClient client() {
        return client;
    }

    public TractorBlades blades() {
        return blades;
    }

    public TractorQueueSource queue() {
        return queue;
    }
}
