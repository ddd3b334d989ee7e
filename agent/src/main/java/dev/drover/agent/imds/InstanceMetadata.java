package dev.drover.agent.imds;

import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Priority;
import java.util.Map;

/**
 * The fields of IMDS {@code /metadata/instance} compute that identify a scale-set VM (specs/azure.md §1.10).
 *
 * @param name the VM name: {@code {scaleSet}_{instanceId}} for Uniform, the instance id itself for Flexible;
 *     this is what Scheduled Events list in {@code Resources}
 * @param computerName the host name, which Tractor also knows the blade by
 */
public record InstanceMetadata(String name, String computerName, String vmId, String vmScaleSetName,
        String resourceId, String vmSize, String location, String zone, String priority, String evictionPolicy,
        Map<String, String> tags) {

    public InstanceMetadata {
        tags = Map.copyOf(tags);
    }

    /** The scale-set instance id: the part after the last '_' of a Uniform VM name, else the whole name. */
    public String instanceId() {
        int underscore = name.lastIndexOf('_');
        return !vmScaleSetName.isEmpty() && underscore > 0 && name.startsWith(vmScaleSetName + "_")
                ? name.substring(underscore + 1) : name;
    }

    public Priority priorityCode() {
        if ("Spot".equalsIgnoreCase(priority) || "Low".equalsIgnoreCase(priority)) {
            return Priority.SPOT;
        }
        return "Regular".equalsIgnoreCase(priority) ? Priority.REGULAR : Priority.UNKNOWN;
    }

    /**
     * The node identity for Hello; the node id is the computer name (falling back to the VM name). The pool is
     * the VM's {@value #POOL_TAG} tag when it has one (set on the scale set, so every VM of a pool says which
     * pool it is without a per-pool agent config), else {@code configuredPool}.
     */
    public NodeIdentity toIdentity(String configuredPool) {
        String nodeId = !computerName.isEmpty() ? computerName : name;
        return new NodeIdentity(nodeId, vmId, computerName, vmScaleSetName, instanceId(), vmSize, priorityCode(),
                location, zone, pool(configuredPool));
    }

    /** The tag that names a VM's Drover pool. */
    public static final String POOL_TAG = "drover-pool";

    /** The pool from the {@value #POOL_TAG} tag (surrounding blanks ignored), or {@code configuredPool}. */
    public String pool(String configuredPool) {
        String tagged = tags.getOrDefault(POOL_TAG, "").strip();
        return tagged.isEmpty() ? configuredPool : tagged;
    }
}
