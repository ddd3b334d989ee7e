package dev.drover.coordinator.store;

import dev.drover.coordinator.config.ConfigException;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeJournal;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.provision.Provisioning;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.queue.QueueJournal;
import dev.drover.coordinator.scaling.ScalingLoop;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's durable state, wired: opens the store, hands each feature its journal, and at start-up puts
 * back what was remembered (nodes first, then the queue, then pools), reconciling as it goes.
 */
public final class CoordinatorState implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(CoordinatorState.class);

    private final StateStore store;
    private final FleetStore fleet;
    private final QueueStore queue;
    private final PoolStore pools;
    private final CredentialStore credentials;

    private CoordinatorState(StateStore store, boolean builtInQueue) {
        this.store = store;
        this.fleet = new FleetStore(store, builtInQueue);
        this.queue = new QueueStore(store);
        this.pools = new PoolStore(store);
        this.credentials = new CredentialStore(store);
    }

    /** @throws ConfigException naming store.path and the file when the store cannot be used */
    public static CoordinatorState open(CoordinatorConfig.Store config, boolean builtInQueue) {
        try {
            return new CoordinatorState(StateStore.open(config.path(), config.synchronous()), builtInQueue);
        } catch (StoreException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /** Nodes as they were, not yet heard from; then the queue, with tasks whose node had lost them requeued. */
    public void restoreFleetAndQueue(NodeRegistry registry, BuiltInQueue builtIn) {
        registry.setJournal(fleet);
        List<NodeJournal.RememberedNode> nodes = fleet.loadNodes();
        registry.restore(nodes);
        int tasks = 0;
        if (builtIn != null) {
            builtIn.setJournal(queue);
            QueueJournal.Remembered q = queue.load();
            builtIn.restore(q);
            Map<String, NodeState> states = new HashMap<>();
            // a node Evicting under a Terminate that lets its tasks finish still runs them: not lost (issue 14)
            registry.snapshot().forEach(n -> states.put(n.id(), n.state() == NodeState.EVICTING
                    && n.eviction() != null && n.eviction().letsTasksFinish() ? NodeState.BUSY : n.state()));
            for (Reconciliation.Requeue r : Reconciliation.requeues(builtIn.records(), states)) {
                LOGGER.atInfo().addKeyValue("nodeId", r.nodeId()).log("requeueing its tasks after the restart: "
                        + r.why());
                builtIn.requeueFrom(r.nodeId(), r.why(), r.tellNode());
            }
            tasks = q.tasks().size();
        }
        if (!nodes.isEmpty() || tasks > 0) {
            LOGGER.atInfo().addKeyValue("nodes", nodes.size()).addKeyValue("tasks", tasks)
                    .log("state restored; nodes wait for their agents to reconnect");
        }
    }

    /** Operator limits and pauses, decisions, drains and deletes under way. */
    public void restorePools(ScalingLoop scaling, Provisioning provisioning) {
        scaling.setJournal(pools);
        scaling.restore(pools.loadScaling());
        provisioning.setJournal(pools);
        provisioning.restore(pools.loadProvisioning());
    }

    /** Node credential hashes (identity), kept with the fleet's state. */
    public dev.drover.coordinator.identity.NodeCredentials credentials() {
        return credentials;
    }

    public StateStore store() {
        return store;
    }

    @Override
    public void close() {
        store.close();
    }

    /** The gateway's record of how far each agent's stream was applied, kept with the fleet's state. */
    public dev.drover.coordinator.gateway.DeliveryLedger deliveryLedger() {
        return new StoreDeliveryLedger(fleet);
    }
}
