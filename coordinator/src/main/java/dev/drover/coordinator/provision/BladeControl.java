package dev.drover.coordinator.provision;

import io.vertx.core.Future;

/**
 * What orchestration asks of the render manager about one blade (Tractor: NIMBY, ejectall, delist). The
 * built-in queue needs none of it — it stops dispatching to a draining node and requeues on its own — so
 * without Tractor this is {@link #NONE}.
 */
public interface BladeControl {
    Future<Void> nimby(String blade, boolean on);

    /** Stops the blade's running tasks and puts them back in the queue now. */
    Future<Void> ejectAll(String blade);

    /** Forgets a blade whose machine is gone. */
    Future<Void> delist(String blade);

    /**
     * Tasks the render manager believes are running on the blade — the last word before a drained node's VM is
     * deleted, since a task handed out just before NIMBY may not have reached the agent yet.
     */
    Future<Integer> activeTasks(String blade);

    BladeControl NONE = new BladeControl() {
        @Override
        public Future<Void> nimby(String blade, boolean on) {
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> ejectAll(String blade) {
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> delist(String blade) {
            return Future.succeededFuture();
        }

        @Override
        public Future<Integer> activeTasks(String blade) {
            return Future.succeededFuture(0);
        }
    };
}
