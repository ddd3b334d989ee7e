package dev.drover.coordinator.provision;

import java.util.Set;

/** A scale-set call failed; {@code code} is the provider's error code (ARM's {@code error.code}) when known. */
public final class ScaleSetException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** ARM codes that mean "this offering has no capacity (or quota) now": back it off and use the fallback. */
    private static final Set<String> ALLOCATION = Set.of("AllocationFailed", "ZonalAllocationFailed",
            "OverconstrainedAllocationRequest", "OverconstrainedZonalAllocationRequest", "SkuNotAvailable",
            "QuotaExceeded", "OperationNotAllowed");

    private final int status;
    private final String code;

    public ScaleSetException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code == null ? "" : code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public boolean allocationFailure() {
        return ALLOCATION.contains(code);
    }
}
