package dev.drover.protocol;

import java.util.List;

/** One realistic instance of every message type, for tests that must cover them all. */
final class SampleMessages {
    private SampleMessages() {
    }

    static final NodeIdentity IDENTITY = new NodeIdentity("render-spot-000004", "02aab8a4-74ef-476e-8182-f6d2ba4166a6",
            "render-spot-000004", "render-spot", "4", "Standard_D16s_v5", Priority.SPOT, "westeurope", "2", "spot-d16");

    static final TaskRef TASK = new TaskRef(1234, 7, 3);

    static List<Message> all() {
        return List.of(
                new Hello(1, 1, "0.1.0", IDENTITY, 16, 0, "enrol-secret", "", 0),
                new Welcome(1, "s-0001", IDENTITY.nodeId(), false, 0, 5000, 20, 65536, 1_780_000_000_000L),
                // with the stream extensions (PROTOCOL.md §6) and the agent's own receive limit
                new Hello(1, 1, "0.2.0", IDENTITY, 16, 0, "enrol-secret", "s-0001", 17,
                        "a-3f1c9e2b", "c-77d0", 131_072),
                new Welcome(1, "s-0002", IDENTITY.nodeId(), true, 42, 5000, 20, 65536, 1_780_000_000_000L, "c-77d0"),
                new Reject(RejectReason.UNSUPPORTED_VERSION, "agent speaks 7..9, coordinator 1..1", 1, 1),
                // per-node identity (PROTOCOL.md §6.1): credential and attested document, an issued credential,
                // and the attestation challenge
                new Hello(1, 1, "0.3.0", IDENTITY, 16, 0, "enrol-secret", "s-0002", 17, "a-3f1c9e2b", "c-77d0", 0,
                        "nc-Vq3kT0x9zQ", "MIIKpgYJKoZIhvcNAQcCoIIKlzCCCpMCAQExDzANBglghkgBZQMEAgEFADCCAWwG".repeat(150)),
                new Welcome(1, "s-0003", IDENTITY.nodeId(), false, 0, 5000, 20, 65536, 1_780_000_000_000L, "c-77d1",
                        "nc-Vq3kT0x9zQ"),
                new Reject(RejectReason.ATTESTATION_REQUIRED, "prove the VM", 1, 1, "4821093756"),
                new Heartbeat(1_780_000_000_000L, AgentState.BUSY, 2,
                        new HostMetrics(87.5f, 14.2f, 64L << 30, 12L << 30, 200L << 30, 1_048_576, 312, 1, 45f),
                        List.of(new MountHealth("/mnt/cache", MountState.OK, 3, ""),
                                new MountHealth("/mnt/tools", MountState.STALE, 2000, "ESTALE on stat")),
                        false, 0),
                // with the host-names extension (Heartbeat extension 1), as in the first heartbeat of a connection
                new Heartbeat(1_780_000_001_000L, AgentState.IDLE, 0, HostMetrics.UNKNOWN, List.of(), false, 0,
                        new HostNames(List.of("render-spot-000004", "render-spot-000004.internal.cloudapp.net"),
                                List.of("10.1.0.4", "fd00::4"))),
                new EvictionNotice(1, "A123BC45-1234-5678-AB90-ABCDEF123456", EvictionType.PREEMPT,
                        1_780_000_030_000L, "Virtual machine is being evicted from Azure", 1_780_000_000_100L),
                new EvictionNotice(9, "B223BC45-1234-5678-AB90-ABCDEF123456", EvictionType.TERMINATE,
                        1_780_000_600_000L, "Virtual machine is being deleted", 1_780_000_000_100L, 1_780_000_570_000L),
                new EvictionEnded(8, "A123BC45-1234-5678-AB90-ABCDEF123456", EvictionType.PREEMPT, 1_780_000_010_000L),
                new TaskStarted(2, TASK, 1_780_000_000_000L, 4242),
                new TaskProgress(TASK, 42.5f, 1001, 95, 1_780_000_001_000L),
                new TaskFinished(3, TASK, 143, 15, 61_000, 2L << 30, 1_780_000_061_000L),
                new Drain(4, DrainMode.DEADLINE, 1_780_000_600_000L, "scale-in: pool above demand for 5m"),
                new DrainState(5, DrainPhase.DRAINED, 0),
                new RunTask(6, TASK, "blender", List.of("blender", "-b", "shot.blend", "-f", "1001"),
                        List.of("OCIO=/mnt/tools/ocio/config.ocio"), "/mnt/cache/show"),
                new CancelTask(7, TASK, "operator cancelled"),
                new Ack(5),
                new Ping(99),
                new Pong(99),
                new Bye(ByeReason.SHUTDOWN, "systemd stop"));
    }
}
