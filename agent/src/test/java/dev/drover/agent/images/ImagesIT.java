package dev.drover.agent.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drover.agent.HostPackages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everything in images/ checked with the real tools from Debian: packer validate, cloud-init schema,
 * systemd-analyze verify (warnings count as failures), shellcheck; the jlink runtime built and the agent
 * started from it; the install script run twice into a scratch root.
 */
class ImagesIT {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final Path IMAGES = REPO.resolve("images");
    static final Path AGENT_JAR = REPO.resolve("agent/target/drover-agent.jar");

    @TempDir
    static Path work;
    static Path runtime;

    record Result(int code, String output) {
    }

    static Result run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new Result(p.exitValue(), out);
    }

    @BeforeAll
    static void buildRuntime() throws Exception {
        HostPackages.require("packer", "packer");
        HostPackages.require("cloud-init", "cloud-init");
        HostPackages.require("shellcheck", "shellcheck");
        runtime = work.resolve("runtime");
        Result r = run(REPO, "bash", IMAGES.resolve("build-runtime.sh").toString(), AGENT_JAR.toString(),
                runtime.toString());
        assertThat(r.code()).as(r.output()).isZero();
    }

    @Test
    void agentRunsFromTheJlinkRuntime() throws Exception {
        Result version = run(REPO, runtime.resolve("bin/java").toString(), "-jar", AGENT_JAR.toString(), "--version");
        assertThat(version.code()).as(version.output()).isZero();
        assertThat(version.output()).contains("drover-agent");

        // The daemon itself starts (Netty, logging, config) and keeps running without a coordinator.
        Path out = work.resolve("jlink-agent.log");
        Process agent = new ProcessBuilder(runtime.resolve("bin/java").toString(), "-jar", AGENT_JAR.toString(),
                "--no-imds", "--node-id", "jlink-test", "--coordinator", "127.0.0.1:9", "--local-socket",
                work.resolve("a.sock").toString(), "--state-dir", work.resolve("state").toString()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            Thread.sleep(3000);
            assertThat(agent.isAlive()).isTrue();
        } finally {
            agent.destroy();
            agent.waitFor(10, TimeUnit.SECONDS);
        }
        String log = Files.readString(out);
        assertThat(log).contains("agent starting").contains("agent stopped").doesNotContain("Exception");
        assertThat(agent.exitValue()).isZero();
        assertThat(runtime.resolve("bin/javac")).doesNotExist();
    }

    @Test
    void packerTemplateValidatesWithDebiansPacker() throws Exception {
        Result r = run(REPO, "packer", "validate", "-var", "resource_group=render-images", "-var",
                "agent_runtime=" + runtime, "images/packer/render-image.pkr.hcl");
        assertThat(r.code()).as(r.output()).isZero();
    }

    @Test
    void cloudInitTemplatePassesTheSchema() throws Exception {
        Result r = run(REPO, "cloud-init", "schema", "--config-file", "images/cloud-init/render-node.yaml");
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).contains("Valid cloud-config");
    }

    @Test
    void scriptsPassShellcheck() throws Exception {
        Result r = run(REPO, "shellcheck", "images/install-agent.sh", "images/build-runtime.sh",
                "agent/src/main/dist/drover-run");
        assertThat(r.code()).as(r.output()).isZero();
    }

    @Test
    void installScriptLaysDownTheAgentAndIsIdempotent() throws Exception {
        Path root = work.resolve("root");
        Result first = run(REPO, "bash", "images/install-agent.sh", "--root", root.toString(), "--runtime",
                runtime.toString());
        assertThat(first.code()).as(first.output()).isZero();
        TreeMap<String, Long> afterFirst = listing(root);

        assertThat(afterFirst).containsKeys("opt/drover/lib/drover-agent.jar", "opt/drover/bin/drover-run",
                "opt/drover/runtime/bin/java", "etc/drover/agent.yaml", "etc/systemd/system/drover-agent.service",
                "usr/local/bin/drover-run");
        assertThat(Files.isDirectory(root.resolve("var/spool/drover/tasks"))).isTrue();
        assertThat(Files.isExecutable(root.resolve("opt/drover/bin/drover-run"))).isTrue();

        // an operator edits the config; a second run (an upgrade) must keep it and change nothing else
        Files.writeString(root.resolve("etc/drover/agent.yaml"), "node:\n  pool: edited\n");
        Result second = run(REPO, "bash", "images/install-agent.sh", "--root", root.toString(), "--runtime",
                runtime.toString());
        assertThat(second.code()).as(second.output()).isZero();
        assertThat(Files.readString(root.resolve("etc/drover/agent.yaml"))).isEqualTo("node:\n  pool: edited\n");
        TreeMap<String, Long> afterSecond = listing(root);
        afterSecond.remove("etc/drover/agent.yaml");
        afterFirst.remove("etc/drover/agent.yaml");
        assertThat(afterSecond).isEqualTo(afterFirst);

        // the installed unit passes systemd-analyze with no warnings, its ExecStart pointed at the scratch root
        for (String unit : List.of("drover-agent.service", "drover-coordinator.service")) {
            Path dir = Files.createDirectories(work.resolve("units-" + unit));
            Files.writeString(dir.resolve(unit), Files.readString(IMAGES.resolve("systemd/" + unit))
                    .replace("/opt/drover", root.resolve("opt/drover").toString()));
            if (unit.startsWith("drover-coordinator")) {
                Files.copy(AGENT_JAR, root.resolve("opt/drover/lib/drover-coordinator.jar"));
            }
            Result verify = run(REPO, "systemd-analyze", "verify", dir.resolve(unit).toString());
            assertThat(verify.code()).as(verify.output()).isZero();
            assertThat(verify.output().trim()).as("warnings from systemd-analyze").isEmpty();
            if (unit.startsWith("drover-coordinator")) {
                Files.delete(root.resolve("opt/drover/lib/drover-coordinator.jar"));
            }
        }
    }

    @Test
    void deploymentExampleHasWhatDroverReliesOn() throws Exception {
        JsonNode t = new ObjectMapper().readTree(IMAGES.resolve("deploy/render-pools.json").toFile());
        List<JsonNode> sets = new ArrayList<>();
        List<String> roles = new ArrayList<>();
        for (JsonNode r : t.path("resources")) {
            if (r.path("type").asText().equals("Microsoft.Compute/virtualMachineScaleSets")) {
                sets.add(r);
            } else if (r.path("type").asText().equals("Microsoft.Authorization/roleAssignments")) {
                roles.add(r.path("properties").path("roleDefinitionId").asText());
            }
        }
        JsonNode spot = sets.stream().filter(s -> s.at("/properties/virtualMachineProfile/priority").asText()
                .equals("Spot")).findFirst().orElseThrow();
        assertThat(spot.at("/properties/virtualMachineProfile/evictionPolicy").asText()).isEqualTo("Delete");
        JsonNode regular = sets.stream().filter(s -> s.at("/properties/virtualMachineProfile/priority").asText()
                .equals("Regular")).findFirst().orElseThrow();
        assertThat(regular.at("/properties/virtualMachineProfile/scheduledEventsProfile/terminateNotificationProfile"
                + "/enable").asBoolean()).isTrue();
        assertThat(sets).allSatisfy(s -> assertThat(s.at("/identity/type").asText()).isEqualTo("UserAssigned"));
        assertThat(t.at("/variables/osProfile/customData").asText()).contains("customData");
        assertThat(roles).containsExactlyInAnyOrder("[variables('virtualMachineContributor')]",
                "[variables('storageBlobDataContributor')]");
        assertThat(t.at("/variables/virtualMachineContributor").asText())
                .contains("9980e02c-c2be-4d73-94e8-173b1dc7cf3c"); // built-in Virtual Machine Contributor
        assertThat(t.at("/variables/storageBlobDataContributor").asText())
                .contains("ba92f5b4-2d11-453d-a403-e96b0029c9fe"); // built-in Storage Blob Data Contributor
        new ObjectMapper().readTree(IMAGES.resolve("tractor/blade-profile.json").toFile());
        assertThat(Files.readString(IMAGES.resolve("tractor/render-job.alf"))).contains("drover-run --");
    }

    /** Every file under root with its size; the runtime is collapsed to its file count and total size. */
    private static TreeMap<String, Long> listing(Path root) throws Exception {
        TreeMap<String, Long> map = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        || Files.isSymbolicLink(p)) {
                    map.put(root.relativize(p).toString(), Files.isSymbolicLink(p) ? -1L : Files.size(p));
                }
            }
        }
        return map;
    }
}
