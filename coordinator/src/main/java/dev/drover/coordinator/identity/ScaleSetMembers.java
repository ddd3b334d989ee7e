package dev.drover.coordinator.identity;

import java.time.Instant;
import java.util.Set;

/**
 * A pool's Azure scale set as attestation sees it: the VM ids of ARM's latest successful instance list
 * (specs/azure.md §2.8, {@code properties.vmId}) and when it was taken. The coordinator's pool actuator does the
 * listing; attestation only reads it and, for a VM the list does not show yet, asks for a new one.
 */
public interface ScaleSetMembers {

    /**
     * @param vmIds VM ids of the latest successful list (empty before the first)
     * @param listedAt when that list was taken, null if none has succeeded yet
     * @param lastError the last failure to list, or empty
     */
    record Listing(Set<String> vmIds, Instant listedAt, String lastError) {
        public Listing {
            vmIds = Set.copyOf(vmIds);
            lastError = lastError == null ? "" : lastError;
        }
    }

    Listing latest();

    /** A VM missing from the latest list may be newer than it: list again soon (the lister bounds how often). */
    void refreshSoon();

    /** Members that never change: a list that is always current (listed at {@link Instant#MAX}; tests). */
    static ScaleSetMembers fixed(Set<String> vmIds) {
        return new ScaleSetMembers() {
            @Override
            public Listing latest() {
                return new Listing(vmIds, Instant.MAX, "");
            }

            @Override
            public void refreshSoon() {
                // nothing to refresh
            }
        };
    }
}
