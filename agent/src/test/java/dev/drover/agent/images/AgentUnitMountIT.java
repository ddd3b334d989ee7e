package dev.drover.agent.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.agent.mounts.MountStepMain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared storage must be seen by every process on the VM (tractor-blade renders into it). The root helper
 * (drover-agent-helper.service) mounts it for the unprivileged agent. A unit with any of systemd's file-system
 * namespacing settings runs in a mount namespace of its own that receives the host's mounts and sends none
 * back (systemd.exec(5)). systemd is not PID 1 on these machines, so a unit's namespace is reproduced from its
 * settings: {@code unshare --mount --propagation slave} when it has any of them (what systemd sets up), the
 * host's own namespace when it has none. The real mount step (MountManager, bind backend standing in for NFS:
 * no kernel NFS client here) runs in the helper unit's, and this JVM, outside, must see the mount; the agent's
 * unit, hardened with a namespace of its own now that it mounts nothing, must still see the helper's mounts.
 * Needs root.
 */
class AgentUnitMountIT {
    /** Settings that give a unit its own mount namespace (systemd.exec(5), systemd 252). */
    static final List<String> NAMESPACING = List.of("RootDirectory", "RootImage", "MountAPIVFS", "BindPaths",
            "BindReadOnlyPaths", "TemporaryFileSystem", "PrivateTmp", "PrivateDevices", "PrivateMounts",
            "PrivateNetwork", "NetworkNamespacePath", "PrivateIPC", "IPCNamespacePath", "ProtectSystem",
            "ProtectHome", "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths", "ExecPaths", "NoExecPaths",
            "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
            "ProtectHostname", "ProtectProc", "ProcSubset", "MountFlags", "MountImages", "ExtensionImages",
            "ExtensionDirectories", "LogNamespace", "DynamicUser", "PrivateUsers");
    static final Path SYSTEMD = Path.of("..").toAbsolutePath().normalize().resolve("images/systemd");
    /** The unit that mounts. */
    static final Path UNIT = SYSTEMD.resolve("drover-agent-helper.service");
    static final Path AGENT_UNIT = SYSTEMD.resolve("drover-agent.service");

    @TempDir
    Path dir;
    private final List<Path> mountPoints = new ArrayList<>();

    record Result(int code, String output) {
    }

    @BeforeEach
    void requireRoot() {
        assertThat(System.getProperty("user.name")).as("mounting needs root; run the tests as root").isEqualTo("root");
    }

    @AfterEach
    void unmount() throws Exception {
        for (Path p : mountPoints) {
            run(List.of("umount", "-l", p.toString())); // may not be mounted here (the control case); harmless
        }
    }

    static Result run(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("%s did not finish", argv).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** The [Service] settings of a unit that create a mount namespace, "Name=value" lines, in order. */
    static List<String> namespacingSettings(String unit) {
        List<String> found = new ArrayList<>();
        for (String line : unit.split("\n")) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (!l.startsWith("#") && eq > 0 && NAMESPACING.contains(l.substring(0, eq).strip())) {
                String value = l.substring(eq + 1).strip();
                if (!value.isEmpty() && !value.equals("false") && !value.equals("no")) {
                    found.add(l);
                }
            }
        }
        return found;
    }

    /** How systemd would start a process of this unit, as far as mount namespaces go. */
    static List<String> launchPrefix(String unit) {
        return namespacingSettings(unit).isEmpty() ? List.of()
                : List.of("unshare", "--mount", "--propagation", "slave", "--");
    }

    /** Runs the agent's mount step the way the unit would run it; returns what the step printed. */
    Result mountStepAsUnit(String unit, String name) throws Exception {
        Path export = Files.createDirectories(dir.resolve("export-" + name));
        Files.writeString(export.resolve("probe.txt"), "frames");
        Path mountPoint = dir.resolve("mnt/" + name);
        mountPoints.add(mountPoint);
        List<String> argv = new ArrayList<>(launchPrefix(unit));
        argv.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), MountStepMain.class.getName(), export.toString(),
                mountPoint.toString()));
        return run(argv);
    }

    static boolean seenOutside(Path mountPoint) throws Exception {
        return Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mountPoint + " ");
    }

    @Test
    void theHelperUnitHasNoMountNamespaceOfItsOwn() throws Exception {
        assertThat(namespacingSettings(Files.readString(UNIT))).isEmpty();
    }

    /** Its [Service] settings as name → value (the last one of a name wins, as in systemd). */
    static java.util.Map<String, String> settings(String unit) {
        java.util.Map<String, String> out = new java.util.HashMap<>();
        for (String line : unit.split("\n")) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (!l.startsWith("#") && eq > 0) {
                out.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
            }
        }
        return out;
    }

    @Test
    void theAgentUnitRunsAsDroverWithNoCapabilityAndNeedsTheHelper() throws Exception {
        java.util.Map<String, String> agent = settings(Files.readString(AGENT_UNIT));
        assertThat(agent).containsEntry("User", "drover").containsEntry("Group", "drover")
                .containsEntry("CapabilityBoundingSet", "").containsEntry("AmbientCapabilities", "")
                .containsEntry("NoNewPrivileges", "true");
        assertThat(agent.get("Requires")).contains("drover-agent-helper.service");
        assertThat(agent.get("After")).contains("drover-agent-helper.service");
        assertThat(agent.get("ExecStart")).contains("--helper-socket /run/drover-helper/helper.sock");
        java.util.Map<String, String> helper = settings(Files.readString(UNIT));
        assertThat(helper).doesNotContainKey("User").containsEntry("KillMode", "control-group")
                .containsEntry("RuntimeDirectory", "drover-helper");
        assertThat(helper.get("ExecStart")).contains(" helper ").contains("--socket /run/drover-helper/helper.sock");
        assertThat(helper.get("CapabilityBoundingSet").split(" ")).contains("CAP_SYS_ADMIN", "CAP_SETUID",
                "CAP_SETGID", "CAP_KILL").doesNotContain("CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_NET_ADMIN");
    }

    @Test
    void theHardenedAgentUnitStillSeesTheHelpersMounts() throws Exception {
        String agentUnit = Files.readString(AGENT_UNIT);
        assertThat(namespacingSettings(agentUnit)).as("the agent unit now has a namespace of its own").isNotEmpty();
        Path export = Files.createDirectories(dir.resolve("export-late"));
        Files.writeString(export.resolve("probe.txt"), "frames");
        Path mountPoint = Files.createDirectories(dir.resolve("mnt/late"));
        mountPoints.add(mountPoint);
        // systemd (PID 1 on a VM) makes / a shared mount; this machine's may be private, so share the parent here
        Path parent = dir.resolve("mnt");
        mountPoints.add(parent);
        for (List<String> step : List.of(List.of("mount", "--bind", parent.toString(), parent.toString()),
                List.of("mount", "--make-shared", parent.toString()))) {
            Result r = run(step);
            assertThat(r.code()).as(r.output()).isZero();
        }
        // the agent's namespace exists before the helper mounts, as when the helper remounts a stale handle
        List<String> argv = new ArrayList<>(launchPrefix(agentUnit));
        argv.addAll(List.of("sh", "-c", "n=0; while ! grep -q ' " + mountPoint + " ' /proc/self/mountinfo; do "
                + "n=$((n+1)); [ $n -gt 600 ] && exit 3; sleep 0.1; done; cat " + mountPoint.resolve("probe.txt")));
        Process inside = new ProcessBuilder(argv).redirectErrorStream(true).start();
        Thread.sleep(500);

        Result mounted = run(List.of("mount", "--bind", export.toString(), mountPoint.toString()));

        assertThat(mounted.code()).as(mounted.output()).isZero();
        assertThat(inside.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(inside.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("frames");
        assertThat(inside.exitValue()).isZero();
    }

    @Test
    void aMountByTheInstalledHelperUnitIsSeenByEveryProcess() throws Exception {
        Result r = mountStepAsUnit(Files.readString(UNIT), "cache");

        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).as("the agent's own health probe").contains("state=OK seenInside=true");
        Path mountPoint = dir.resolve("mnt/cache");
        assertThat(seenOutside(mountPoint)).isTrue();
        // a process that is no child of the agent (as tractor-blade is not) reads the shared files
        Result blade = run(List.of("setsid", "cat", mountPoint.resolve("probe.txt").toString()));
        assertThat(blade.output()).isEqualTo("frames");
    }

    @Test
    void theOldHardenedUnitHidItsMountsFromTheBlade() throws Exception {
        // The control, reproducing the bug: the same step in a unit with ProtectSystem=/ReadWritePaths= (the agent
        // unit before the helper existed had to go without them for this reason)
        String old = Files.readString(UNIT).replace("[Service]\n", "[Service]\nProtectSystem=full\nReadWritePaths=/mnt\n");
        assertThat(namespacingSettings(old)).containsExactly("ProtectSystem=full", "ReadWritePaths=/mnt");

        Result r = mountStepAsUnit(old, "hidden");

        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).as("the agent sees its mount and reports it healthy").contains("state=OK seenInside=true");
        assertThat(seenOutside(dir.resolve("mnt/hidden"))).as("but nobody else does").isFalse();
        assertThat(dir.resolve("mnt/hidden/probe.txt")).doesNotExist();
    }
}
