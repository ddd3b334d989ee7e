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

    /** {@code siu} (slots in use) of the blade in {@code monitor?q=blades}; 0 for a blade the engine does not list. */
    @Override
    public Future<Integer> activeTasks(String blade) {
        return client.blades().map(list -> {
            for (Object o : list) {
                if (o instanceof io.vertx.core.json.JsonObject b && blade.equals(b.getString("hnm"))) {
                    Object siu = b.getValue("siu");
                    if (!(siu instanceof Number n)) {
                        throw new TractorException(0, "blade " + blade + " listed without siu (slots in use)");
                    }
                    return n.intValue();
                }
            }
            return 0;
        });
    }
}
