package dev.drover.agent.images;

import dev.drover.testsupport.HostPackages;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's release tarball as a TD uses it (images/README.md): checksum checked, unpacked into a scratch
 * directory, installed with their own scripts into a scratch root (the agent's jlink runtime built by the
 * installer), the installed units verified with systemd-analyze (warnings count as failures), both daemons'
 * launchers run from the installed tree; Packer validated from another directory, cloud-init schema,
 * shellcheck. Needs `package` first (verify does that). The coordinator's tarball is built after this module,
 * so coordinator's CoordinatorReleaseIT checks it.
 */
class ImagesIT {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final Path IMAGES = REPO.resolve("images");

    @TempDir
    static Path work;
    static Path root;
    static Path agentDir;
    static String version;

    record Result(int code, String output) {
    }

    static Result run(Path dir, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new Result(p.exitValue(), out);
    }

    static Result run(Path dir, String... command) throws Exception {
        return run(dir, Map.of(), command);
    }

    /** target/drover-NAME-VERSION.tar.gz, checked against its .sha256 and unpacked into work/NAME. */
    static Path unpack(String module, String name) throws Exception {
        Path target = REPO.resolve(module + "/target");
        List<Path> tarballs;
        try (Stream<Path> s = Files.list(target)) {
            tarballs = s.filter(p -> p.getFileName().toString().matches(name + "-.+\\.tar\\.gz")).toList();
        }
        assertThat(tarballs).as("one release tarball in %s", target).hasSize(1);
        Path tarball = tarballs.get(0);
        Result sum = run(target, "sha256sum", "-c", tarball.getFileName() + ".sha256");
        assertThat(sum.code()).as(sum.output()).isZero();
        Path dir = Files.createDirectories(work.resolve(name));
        Result tar = run(dir, "tar", "-xzf", tarball.toString(), "--strip-components=1");
        assertThat(tar.code()).as(tar.output()).isZero();
        String file = tarball.getFileName().toString();
        version = file.substring(name.length() + 1, file.length() - ".tar.gz".length());
        return dir;
    }

    @BeforeAll
    static void unpackAndInstall() throws Exception {
        HostPackages.require("packer", "packer");
        HostPackages.require("cloud-init", "cloud-init");
        HostPackages.require("shellcheck", "shellcheck");
        agentDir = unpack("agent", "drover-agent");
        root = work.resolve("root");
        // no --runtime: the installer builds it with jlink, as on the Packer VM (a JDK: this test's JVM)
        Result agent = run(work, Map.of("JAVA_HOME", System.getProperty("java.home")), "bash",
                agentDir.resolve("install-agent.sh").toString(), "--root", root.toString());
        assertThat(agent.code()).as(agent.output()).isZero();
    }

    @Test
    void tarballHoldsEverythingTheInstallerNeeds() {
        assertThat(agentDir.resolve("lib/drover-agent.jar")).isRegularFile();
        for (String f : List.of("bin/drover-agent", "bin/drover-run", "install-agent.sh", "build-runtime.sh")) {
            assertThat(Files.isExecutable(agentDir.resolve(f))).as(f).isTrue();
        }
        assertThat(agentDir.resolve("systemd/drover-agent.service")).isRegularFile();
        assertThat(agentDir.resolve("systemd/drover-agent-helper.service")).isRegularFile();
        assertThat(agentDir.resolve("agent.example.yaml")).isRegularFile();
        assertThat(agentDir.resolve("README.md")).isRegularFile();
        assertThat(version).matches("[0-9]+\\.[0-9]+\\.[0-9]+.*");
    }

    @Test
    void installedFilesHaveTheirModesAndOwnersAndAReinstallChangesNothing() throws Exception {
        // stat(1), not Java's PosixFilePermissions, which cannot show the sticky bit
        Map<String, String> modes = Map.of("opt/drover/lib/drover-agent.jar", "644",
                "opt/drover/bin/drover-agent", "755", "opt/drover/bin/drover-run", "755",
                "etc/drover/agent.yaml", "640", "etc/systemd/system/drover-agent.service", "644",
                "etc/systemd/system/drover-agent-helper.service", "644", "var/spool/drover/tasks", "1777");
        for (Map.Entry<String, String> e : modes.entrySet()) {
            Result stat = run(root, "stat", "-c", "%a %U", root.resolve(e.getKey()).toString());
            assertThat(stat.output().strip()).as(e.getKey()).isEqualTo(e.getValue() + " root");
        }
        assertThat(Files.readSymbolicLink(root.resolve("usr/local/bin/drover-run")).toString())
                .isEqualTo("/opt/drover/bin/drover-run");
        assertThat(root.resolve("opt/drover/runtime/bin/java")).isExecutable();
        assertThat(root.resolve("opt/drover/runtime/bin/javac")).doesNotExist();

        // an operator edits the config; the upgrade (same tarball, runtime given) keeps it and changes nothing else
        TreeMap<String, Long> before = listing(root);
        Files.writeString(root.resolve("etc/drover/agent.yaml"), "node:\n  pool: edited\n");
        Path runtimeCopy = work.resolve("runtime-copy");
        assertThat(run(work, "cp", "-a", root.resolve("opt/drover/runtime").toString(), runtimeCopy.toString())
                .code()).isZero();
        Result second = run(work, "bash", agentDir.resolve("install-agent.sh").toString(), "--root", root.toString(),
                "--runtime", runtimeCopy.toString());
        assertThat(second.code()).as(second.output()).isZero();
        assertThat(Files.readString(root.resolve("etc/drover/agent.yaml"))).isEqualTo("node:\n  pool: edited\n");
        TreeMap<String, Long> after = listing(root);
        before.remove("etc/drover/agent.yaml");
        after.remove("etc/drover/agent.yaml");
        assertThat(after).isEqualTo(before);
    }

    @Test
    void installedUnitsPassSystemdAnalyze() throws Exception {
        // together: the agent's unit requires the helper's
        List<String> units = List.of("drover-agent-helper.service", "drover-agent.service");
        Path dir = Files.createDirectories(work.resolve("units"));
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
        for (String unit : units) {
            Files.writeString(dir.resolve(unit), Files.readString(root.resolve("etc/systemd/system/" + unit))
                    .replace("/opt/drover", root.resolve("opt/drover").toString()));
            command.add(dir.resolve(unit).toString());
        }
        Result verify = run(REPO, command.toArray(String[]::new));
        assertThat(verify.code()).as(verify.output()).isZero();
        assertThat(verify.output().trim()).as("warnings from systemd-analyze").isEmpty();
    }

    @Test
    void agentRunsFromTheInstalledLauncherAndRuntime() throws Exception {
        Path launcher = root.resolve("opt/drover/bin/drover-agent");
        Result version = run(work, launcher.toString(), "--version");
        assertThat(version.code()).as(version.output()).isZero();
        assertThat(version.output()).contains("drover-agent");

        // the daemon itself starts (Netty, logging, config) on the jlink runtime and stops cleanly on TERM
        Path out = work.resolve("installed-agent.log");
        Process agent = new ProcessBuilder(launcher.toString(), "--no-imds", "--node-id", "jlink-test",
                "--coordinator", "127.0.0.1:9", "--local-socket", work.resolve("a.sock").toString(), "--state-dir",
                work.resolve("state").toString(), /* TLS pinned, as agents must be; nothing listens there */
                "--coordinator-ca-sha256", "abababababababababababababababababababababababababababababababab").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            // on a loaded machine the JVM alone can take seconds: wait for the agent to say it started
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(90))
                    .until(() -> Files.readString(out).contains("agent starting"));
            Thread.sleep(1000);
            assertThat(agent.isAlive()).isTrue();
            assertThat(agent.info().command().orElse("")).as("launcher execs the runtime's java")
                    .isEqualTo(root.resolve("opt/drover/runtime/bin/java").toString());
        } finally {
            agent.destroy();
            agent.waitFor(30, TimeUnit.SECONDS);
        }
        String log = Files.readString(out);
        assertThat(log).contains("agent starting").contains("agent stopped").doesNotContain("Exception");
        assertThat(agent.exitValue()).isZero();
    }

    @Test
    void helperRunsFromTheInstalledRuntimeAndChecksItsPeer() throws Exception {
        // jlink's module list must hold jdk.net: the helper's SO_PEERCRED check needs it
        Path config = work.resolve("helper-agent.yaml");
        Path socket = work.resolve("helper-run/helper.sock");
        Files.writeString(config, "helper: {socket: " + socket + ", agentUser: nobody}\n");
        Path out = work.resolve("installed-helper.log");
        Process helper = new ProcessBuilder(root.resolve("opt/drover/bin/drover-agent").toString(), "helper", "--config",
                config.toString()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(90))
                    .until(() -> Files.readString(out).contains("helper listening"));
            try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                    java.net.StandardProtocolFamily.UNIX)) {
                ch.connect(java.net.UnixDomainSocketAddress.of(socket)); // as root, not nobody: refused
                assertThat(ch.read(java.nio.ByteBuffer.allocate(16))).isEqualTo(-1);
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> Files.readString(out).contains("is not the agent's"));
        } finally {
            helper.destroy();
            helper.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(Files.readString(out)).doesNotContain("Exception");
    }

    @Test
    void packerTemplateValidatesFromAnyDirectoryWithDebiansPacker() throws Exception {
        Result r = run(work, "packer", "validate", "-var", "resource_group=render-images", "-var",
                "agent_version=" + version, IMAGES.resolve("packer/render-image.pkr.hcl").toString());
        assertThat(r.code()).as(r.output()).isZero();
        // and it really uploads the tarball: a missing one is an error, not a silent empty image
        Result missing = run(work, "packer", "validate", "-var", "resource_group=render-images", "-var",
                "agent_version=0.0.0-missing", IMAGES.resolve("packer/render-image.pkr.hcl").toString());
        assertThat(missing.code()).isNotZero();
        assertThat(missing.output()).contains("drover-agent-0.0.0-missing.tar.gz");
    }

    @Test
    void cloudInitTemplatePassesTheSchema() throws Exception {
        Result r = run(REPO, "cloud-init", "schema", "--config-file", "images/cloud-init/render-node.yaml");
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).contains("Valid cloud-config");
    }

    @Test
    void scriptsPassShellcheck() throws Exception {
        Result r = run(REPO, "shellcheck", "images/install-agent.sh", "images/install-coordinator.sh",
                "images/build-runtime.sh", "agent/src/main/dist/drover-run", "agent/src/main/dist/drover-agent",
                "coordinator/src/main/dist/drover-coordinator");
        assertThat(r.code()).as(r.output()).isZero();
    }

    @Test
    void tractorExamplesParseAndGoThroughDroverRun() throws Exception {
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(IMAGES.resolve("tractor/blade-profile.json").toFile());
        assertThat(Files.readString(IMAGES.resolve("tractor/render-job.alf"))).contains("drover-run --");
    }

    /** Every file under root with its size; the runtime counted as one entry (its file count). */
    private static TreeMap<String, Long> listing(Path root) throws Exception {
        TreeMap<String, Long> map = new TreeMap<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(p))
                    .forEach(files::add);
        }
        for (Path p : files) {
            String rel = root.relativize(p).toString();
            if (rel.startsWith("opt/drover/runtime/")) {
                map.merge("opt/drover/runtime (files)", 1L, Long::sum);
            } else {
                map.put(rel, Files.isSymbolicLink(p) ? -1L : Files.size(p));
            }
        }
        return map;
    }
}
