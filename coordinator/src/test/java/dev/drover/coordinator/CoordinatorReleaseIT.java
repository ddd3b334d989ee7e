package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's release tarball as images/README.md step 4 uses it: checksum checked, unpacked, installed
 * with its own install-coordinator.sh into a scratch root (twice: idempotent, config kept), modes and owners,
 * the installed unit verified with systemd-analyze (warnings count as failures), and the launcher's choice of
 * Java. Runs here, after this module's `package`, because the tarball is built there.
 */
class CoordinatorReleaseIT {
    static final Path TARGET = Path.of("target").toAbsolutePath();

    @TempDir
    static Path work;
    static Path unpacked;
    static Path root;
    static String version;

    record Result(int code, String output) {
    }

    static Result run(Path dir, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
        return new Result(p.exitValue(), out);
    }

    static Result run(Path dir, String... command) throws Exception {
        return run(dir, Map.of(), command);
    }

    @BeforeAll
    static void unpackAndInstall() throws Exception {
        List<Path> tarballs;
        try (Stream<Path> s = Files.list(TARGET)) {
            tarballs = s.filter(p -> p.getFileName().toString().matches("drover-coordinator-.+\\.tar\\.gz")).toList();
        }
        assertThat(tarballs).as("one release tarball in %s", TARGET).hasSize(1);
        String file = tarballs.get(0).getFileName().toString();
        version = file.substring("drover-coordinator-".length(), file.length() - ".tar.gz".length());
        Result sum = run(TARGET, "sha256sum", "-c", file + ".sha256");
        assertThat(sum.code()).as(sum.output()).isZero();
        unpacked = Files.createDirectories(work.resolve("unpacked"));
        Result tar = run(unpacked, "tar", "-xzf", tarballs.get(0).toString(), "--strip-components=1");
        assertThat(tar.code()).as(tar.output()).isZero();
        root = work.resolve("root");
        Result install = run(work, "bash", unpacked.resolve("install-coordinator.sh").toString(), "--root",
                root.toString());
        assertThat(install.code()).as(install.output()).isZero();
    }

    @Test
    void installsEveryFileWithItsModeAndOwnerAndAgainChangesNothing() throws Exception {
        Map<String, String> modes = Map.of("opt/drover/lib/drover-coordinator.jar", "644",
                "opt/drover/bin/drover-coordinator", "755", "etc/drover/coordinator.yaml", "640",
                "etc/systemd/system/drover-coordinator.service", "644");
        for (Map.Entry<String, String> e : modes.entrySet()) {
            Result stat = run(root, "stat", "-c", "%a %U", root.resolve(e.getKey()).toString());
            assertThat(stat.output().strip()).as(e.getKey()).isEqualTo(e.getValue() + " root");
        }
        assertThat(Files.readString(root.resolve("etc/drover/coordinator.yaml")))
                .isEqualTo(Files.readString(unpacked.resolve("coordinator.example.yaml")));

        TreeMap<String, Long> before = listing();
        Files.writeString(root.resolve("etc/drover/coordinator.yaml"), "gateway:\n  port: 7701\n");
        Result again = run(work, "bash", unpacked.resolve("install-coordinator.sh").toString(), "--root",
                root.toString());
        assertThat(again.code()).as(again.output()).isZero();
        assertThat(Files.readString(root.resolve("etc/drover/coordinator.yaml"))).isEqualTo("gateway:\n  port: 7701\n");
        TreeMap<String, Long> after = listing();
        before.remove("etc/drover/coordinator.yaml");
        after.remove("etc/drover/coordinator.yaml");
        assertThat(after).isEqualTo(before);
    }

    @Test
    void installedUnitPassesSystemdAnalyze() throws Exception {
        Path dir = Files.createDirectories(work.resolve("units"));
        Path unit = dir.resolve("drover-coordinator.service");
        String text = Files.readString(root.resolve("etc/systemd/system/drover-coordinator.service"));
        assertThat(text).contains("ExecStart=/opt/drover/bin/drover-coordinator ").doesNotContain("bin/java");
        Files.writeString(unit, text.replace("/opt/drover", root.resolve("opt/drover").toString()));
        Result verify = run(work, "systemd-analyze", "verify", unit.toString());
        assertThat(verify.code()).as(verify.output()).isZero();
        assertThat(verify.output().trim()).as("warnings from systemd-analyze").isEmpty();
    }

    @Test
    void launcherRunsOnAJava17AndRefusesAnOlderOne() throws Exception {
        Path launcher = root.resolve("opt/drover/bin/drover-coordinator");
        String java = Path.of(System.getProperty("java.home"), "bin/java").toString();
        Result ok = run(work, Map.of("DROVER_JAVA", java), launcher.toString(), "--version");
        assertThat(ok.code()).as(ok.output()).isZero();
        assertThat(ok.output()).contains(version);

        Path old = work.resolve("java11/bin/java");
        Files.createDirectories(old.getParent());
        Files.writeString(old, "#!/bin/sh\necho '    java.specification.version = 11' >&2\n");
        assertThat(old.toFile().setExecutable(true)).isTrue();
        Result refused = run(work, Map.of("DROVER_JAVA", old.toString()), launcher.toString(), "--version");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.output()).contains("is Java 11; Java 17 or newer is needed");
    }

    private static TreeMap<String, Long> listing() throws Exception {
        TreeMap<String, Long> map = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
                map.put(root.relativize(p).toString(), Files.size(p));
            }
        }
        return map;
    }
}
