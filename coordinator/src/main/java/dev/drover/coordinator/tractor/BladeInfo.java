package dev.drover.coordinator.tractor;

/**
 * One blade as {@code monitor?q=blades} lists it (specs/tractor-and-cyclecloud.md §1.3 BLADE): host name as the
 * blade registered it ({@code hnm}: short, FQDN, any case, or an address), its address, slots in use
 * ({@code siu}) and NIMBY state.
 */
public record BladeInfo(String hnm, String addr, int slotsInUse, String nimby) {

    /** How control calls name a blade: {@code <hostname>/<ip>} (§1.4). */
    public String id() {
        return addr.isEmpty() ? hnm : hnm + "/" + addr;
    }
}
