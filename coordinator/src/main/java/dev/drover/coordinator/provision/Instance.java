package dev.drover.coordinator.provision;

/**
 * One machine of a scale set.
 *
 * @param instanceId what the scale set deletes by (Uniform: "3"; Flexible: the VM name)
 * @param nodeName the computer name, which is also the agent's node id and the Tractor blade's host name;
 *     empty while the VM is still being created
 * @param powerState Azure's {@code PowerState/...} suffix: starting, running, stopping, stopped,
 *     deallocating, deallocated; or "unknown"
 * @param provisioningState creating, updating, succeeded, failed, deleting; or "unknown"
 * @param vmId Azure's VM GUID (ARM {@code properties.vmId}), which attested documents name; empty if unknown
 */
public record Instance(String instanceId, String nodeName, String powerState, String provisioningState,
        String vmId) {

    public Instance(String instanceId, String nodeName, String powerState, String provisioningState) {
        this(instanceId, nodeName, powerState, provisioningState, "");
    }

    /**
     * A Spot VM evicted under the Deallocate policy stays in the scale set, stopped: it renders nothing but
     * holds quota, so it counts as evicted.
     */
    public boolean stoppedOrDeallocated() {
        return powerState.equals("stopped") || powerState.equals("deallocated") || powerState.equals("deallocating");
    }

    public boolean failed() {
        return provisioningState.startsWith("failed");
    }
}
