package dev.drover.protocol;

/**
 * Who the node is. On Azure every field but {@code nodeId} and {@code pool} comes from IMDS
 * {@code /metadata/instance} (specs/azure.md §1.10); off Azure from config. {@code nodeId} is the key the
 * coordinator files the node under and is stable across agent restarts (the VM's computer name on Azure,
 * which is also the Tractor blade's host name). Unknown values are empty strings.
 */
public record NodeIdentity(String nodeId, String vmId, String computerName, String scaleSet, String instanceId,
        String vmSize, Priority priority, String location, String zone, String pool) {

    public NodeIdentity {
        Fields.text(nodeId, "identity.nodeId"); // blank is refused by the coordinator: Reject(INVALID_HELLO)
        Fields.text(vmId, "identity.vmId");
        Fields.text(computerName, "identity.computerName");
        Fields.text(scaleSet, "identity.scaleSet");
        Fields.text(instanceId, "identity.instanceId");
        Fields.text(vmSize, "identity.vmSize");
        java.util.Objects.requireNonNull(priority, "identity.priority must not be null");
        Fields.text(location, "identity.location");
        Fields.text(zone, "identity.zone");
        Fields.text(pool, "identity.pool");
    }

    /** An identity for a machine that is not an Azure VM: only the id and pool are known. */
    public static NodeIdentity local(String nodeId, String pool) {
        return new NodeIdentity(nodeId, "", nodeId, "", "", "", Priority.UNKNOWN, "", "", pool);
    }

    void write(WireWriter w) {
        w.shortString(nodeId, "identity.nodeId")
                .shortString(vmId, "identity.vmId")
                .shortString(computerName, "identity.computerName")
                .shortString(scaleSet, "identity.scaleSet")
                .shortString(instanceId, "identity.instanceId")
                .shortString(vmSize, "identity.vmSize")
                .code(priority)
                .shortString(location, "identity.location")
                .shortString(zone, "identity.zone")
                .shortString(pool, "identity.pool");
    }

    static NodeIdentity read(WireReader r) {
        return new NodeIdentity(r.shortString("identity.nodeId"), r.shortString("identity.vmId"),
                r.shortString("identity.computerName"), r.shortString("identity.scaleSet"),
                r.shortString("identity.instanceId"), r.shortString("identity.vmSize"),
                r.code(Priority.class, "identity.priority"), r.shortString("identity.location"),
                r.shortString("identity.zone"), r.shortString("identity.pool"));
    }
}
