package dev.drover.coordinator.provision;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * After a restart, what to do with each delete that was asked for and not seen through, given the scale set's
 * instances now. Pure: the same facts give the same plan. A delete is never asked for twice while the scale
 * set shows it under way, and a blade is delisted once its instance is gone.
 */
public final class DeleteReconciliation {
    private DeleteReconciliation() {
    }

    /**
     * @param redo ask for these deletes again (the earlier call never reached the scale set, or failed)
     * @param complete the instance is gone (or only the delist was left): delist the blade, mark the node Deleted
     * @param waiting the scale set is deleting the instance now: look again at the next list
     */
    public record Plan(List<ProvisionJournal.PendingDelete> redo, List<ProvisionJournal.PendingDelete> complete,
            List<ProvisionJournal.PendingDelete> waiting) {
    }

    public static Plan plan(List<ProvisionJournal.PendingDelete> pending, List<Instance> instances) {
        Map<String, Instance> byId = new HashMap<>();
        instances.forEach(i -> byId.put(i.instanceId(), i));
        List<ProvisionJournal.PendingDelete> redo = new ArrayList<>();
        List<ProvisionJournal.PendingDelete> complete = new ArrayList<>();
        List<ProvisionJournal.PendingDelete> waiting = new ArrayList<>();
        for (ProvisionJournal.PendingDelete d : pending) {
            Instance i = byId.get(d.instanceId());
            if (d.step() == ProvisionJournal.Step.DELIST || i == null) {
                complete.add(d);
            } else if (i.provisioningState().startsWith("deleting")) {
                waiting.add(d);
            } else {
                redo.add(d);
            }
        }
        return new Plan(redo, complete, waiting);
    }
}
