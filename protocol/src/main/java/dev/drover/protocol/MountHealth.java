package dev.drover.protocol;

/** One shared-storage mount's health: state, how long the last probe took, and a short human detail. */
public record MountHealth(String mountPoint, MountState state, int probeMillis, String detail) {

    public MountHealth {
        Fields.nonBlank(mountPoint, "mount.mountPoint");
        java.util.Objects.requireNonNull(state, "mount.state must not be null");
        Fields.nonNegative(probeMillis, "mount.probeMillis");
        Fields.text(detail, "mount.detail");
    }

    void write(WireWriter w) {
        w.shortString(mountPoint, "mount.mountPoint").code(state).i32(probeMillis).longString(detail, "mount.detail");
    }

    static MountHealth read(WireReader r) {
        return new MountHealth(r.shortString("mount.mountPoint"), r.code(MountState.class, "mount.state"),
                r.i32("mount.probeMillis"), r.longString("mount.detail"));
    }
}
