package dev.drover.coordinator.tractor;

import dev.drover.coordinator.provision.BladeControl;
import io.vertx.core.Future;

/** Orchestration's blade calls, carried out by the Tractor engine. The blade is named by its host (node id). */
public final class TractorBlades implements BladeControl {
    private final TractorClient client;

    public TractorBlades(TractorClient client) {
        this.client = client;
    }

    @Override
    public Future<Void> nimby(String blade, boolean on) {
        return client.nimby(blade, on);
    }

    @Override
    public Future<Void> ejectAll(String blade) {
        return client.ejectAll(blade);
    }

    @Override
    public Future<Void> delist(String blade) {
        return client.delist(blade);
    }
}
