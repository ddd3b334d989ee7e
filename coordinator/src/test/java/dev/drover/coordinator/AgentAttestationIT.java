package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.drover.agent.fakeimds.AttestedSigner;
import dev.drover.agent.fakeimds.FakeImds;
import dev.drover.agent.fakeimds.FakeImdsCommand;
import dev.drover.coordinator.azure.FakeArm;
import dev.drover.coordinator.faults.FakeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Azure attestation end to end with the real jars (SECURITY.md, "Azure nodes prove their VM"): the coordinator
 * jar requires attestation for a pool on a (fake) ARM scale set and looks VMs up in ARM's paged instance list;
 * agent jars prove their VM with documents from a strict fake IMDS whose signer plays Microsoft's role. While ARM
 * is down nobody is admitted; once it answers, the honest VM is; forged, stale, replayed and foreign proofs are
 * refused with BAD_CREDENTIAL, a log line saying why and no credential, and never disturb the admitted node.
 */
class AgentAttestationIT {
    private static final String TOKEN = "attest-e2e-enrolment-token-0123";
    private static final String SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"; // FakeImdsCommand.compute's
    private static final String SCALE_SET = "att-vmss";
    private static final String POOL = "az";
    private static final int INSTANCES = 5; // two pages of FakeArm's three

    @TempDir
    Path dir;

    private final Vertx vertx = Vertx.vertx();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final AttestedSigner microsoft = AttestedSigner.create(AttestedSigner.SIGNER_NAME, Instant.now());
    private RunningCoordinator coordinator;
    private FakeArm arm;

    @AfterEach
    void stopAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        vertx.close().await();
    }

    @Test
    void onlyAVmArmConfirmsIsAdmittedAndForgedStaleReplayedOrForeignProofsGetNoCredential() throws Exception {
        // given a scale set that already has five VMs (instance ids 0..4, listed in two pages), and ARM down
        arm = new FakeArm(vertx, SUBSCRIPTION, "rg-att", SCALE_SET, "att", Duration.ofMillis(200), new FakeArm.Hooks() {
            @Override
            public void created(String instanceId, String computerName) {
                // the test starts each VM's agent itself, when the scenario needs it
            }

            @Override
            public void deleted(String instanceId, String computerName, boolean evicted) {
                // nothing is deleted in this test
            }
        });
        String armEndpoint = arm.listen().await();
        scaleSetTo(armEndpoint, INSTANCES);
        assertThat(arm.instanceCount()).isEqualTo(INSTANCES);
        arm.outage(true);
        FakeIdentity managedIdentity = new FakeIdentity();
        closing.add(managedIdentity);
        Path root = dir.resolve("attestation-root.pem");
        Files.writeString(root, microsoft.rootPem());
        coordinator = RunningCoordinator.startWithEnrolment(dir, "attest-coordinator", "{tokens: [" + TOKEN
                + "], attestation: {trustRootFile: '" + root + "'}}", "", """
                azure: {armEndpoint: "%s", instanceListMillis: 1000}
                scaling: {bootTimeoutSeconds: 900}
                pools:
                  - {name: %s, vmSize: Standard_D4s_v5, priority: spot, slotsPerNode: 1, serviceKeys: [az], minNodes: %d, maxNodes: %d, pricePerNodeHour: 0.1, scaleSet: {provider: azure, subscription: %s, resourceGroup: rg-att, name: %s}}
                """.formatted(armEndpoint, POOL, INSTANCES, INSTANCES, SUBSCRIPTION, SCALE_SET), managedIdentity.env());
        closing.add(coordinator.process());
        CoordinatorApi api = coordinator.api();

        // when the VM on the second page boots and proves itself while ARM cannot be asked
        String honest = "att000004";
        startAgent(honest, imds(honest, arm.vmId(honest), microsoft, Clock.systemUTC()));

        // then it is not let in (no credential), and the coordinator says why: ARM has not confirmed the VM
        await().atMost(Duration.ofSeconds(90)).until(() -> coordinator.process().output()
                .contains("nodeId " + honest + ": ATTESTATION_REQUIRED: attestation not confirmed: VM "
                        + arm.vmId(honest) + " not yet confirmed by ARM"));
        assertThat(coordinator.process().output()).contains("nodeId " + honest + ": ATTESTATION_REQUIRED: "
                + "attestation not confirmed").doesNotContain("node credential issued");
        Thread.sleep(3000); // it keeps retrying, and keeps being refused while ARM is down
        assertThat(api.state(honest)).isEqualTo("ABSENT");
        assertThat(credential(honest)).doesNotExist();

        // when ARM answers again, the next retry finds the VM on the list's second page: admitted, credential kept
        arm.outage(false);
        await().atMost(Duration.ofSeconds(90)).until(() -> api.state(honest).equals("READY"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(credential(honest)));
        String kept = Files.readString(credential(honest)).trim();
        assertThat(kept).isNotEmpty();
        assertThat(coordinator.process().output()).containsPattern("node credential issued.*nodeId=\"?" + honest
                + "\"?.*vmId=\"?" + arm.vmId(honest));
        assertThat(arm.calls()).contains("outage GET").contains("GET list");
        JsonObject before = api.node(honest).orElseThrow();

        // when four more agents try, each with a proof that must fail one check
        AttestedSigner forger = AttestedSigner.create(AttestedSigner.SIGNER_NAME, Instant.now());
        // a clock that runs, ten minutes behind: the fake IMDS counts its rate limit by it too
        Clock tenMinutesAgo = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-10));
        String forged = "att000000";
        String stale = "att000001";
        String replayed = "att000002";
        String foreign = "stranger-7";
        Map<String, Object> imdsOf = new java.util.LinkedHashMap<>();
        imdsOf.put(forged, imds(forged, arm.vmId(forged), forger, Clock.systemUTC()));
        imdsOf.put(stale, imds(stale, arm.vmId(stale), microsoft, tenMinutesAgo));
        imdsOf.put(replayed, otherNonce(imds(replayed, arm.vmId(replayed), microsoft, Clock.systemUTC())));
        imdsOf.put(foreign, imds(foreign, UUID.randomUUID().toString(), microsoft, Clock.systemUTC()));
        Map<String, String> why = Map.of(forged, "does not chain to the configured trust root",
                stale, "not within 300 s", replayed, "attested document is for another nonce",
                foreign, "is not an instance of pool " + POOL);
        for (var e : imdsOf.entrySet()) {
            // one at a time: rejected Hellos share a log budget of 10 lines a second
            startAgent(e.getKey(), e.getValue());

            // then each is refused with BAD_CREDENTIAL and a line that says which check failed
            await().atMost(Duration.ofSeconds(120)).until(() -> coordinator.process().output()
                    .contains("nodeId " + e.getKey() + ": BAD_CREDENTIAL: attestation refused: "));
            assertThat(rejections(e.getKey())).as(e.getKey()).anyMatch(l -> l.contains(why.get(e.getKey())));
        }
        // and none of them got a credential or a place in the fleet
        for (String refused : why.keySet()) {
            assertThat(credential(refused)).as(refused).doesNotExist();
            assertThat(api.state(refused)).as(refused).isEqualTo("ABSENT");
        }
        assertThat(coordinator.process().output().lines().filter(l -> l.contains("node credential issued")))
                .hasSize(1);
        // and the admitted node was never disturbed: same session, still connected and Ready, same credential
        JsonObject after = api.node(honest).orElseThrow();
        assertThat(after.getString("state")).isEqualTo("READY");
        assertThat(after.getString("sessionId")).isEqualTo(before.getString("sessionId"));
        assertThat(after.getBoolean("connected")).isTrue();
        assertThat(Files.readString(credential(honest)).trim()).isEqualTo(kept);
        assertThat(coordinator.process().output()).doesNotContain(TOKEN).doesNotContain(kept);
    }

    /** Sets the scale set's capacity through ARM's API, as an operator's earlier scale-out would have. */
    private static void scaleSetTo(String armEndpoint, int capacity) throws Exception {
        HttpRequest patch = HttpRequest.newBuilder(URI.create(armEndpoint + "/subscriptions/" + SUBSCRIPTION
                + "/resourceGroups/rg-att/providers/Microsoft.Compute/virtualMachineScaleSets/" + SCALE_SET
                + "?api-version=" + FakeArm.API_VERSION)).header("Authorization", "Bearer operator-arm-token")
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"sku\": {\"capacity\": " + capacity + "}}"))
                .build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(patch, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    /** A fake IMDS for one VM of the scale set, its documents signed by {@code signer}, on {@code clock}. */
    private FakeImds imds(String computerName, String vmId, AttestedSigner signer, Clock clock) throws Exception {
        Map<String, String> compute = FakeImdsCommand.compute(SCALE_SET + "_" + computerName, computerName, SCALE_SET,
                "Spot", "Standard_D4s_v5");
        compute.put("vmId", vmId);
        FakeImds imds = new FakeImds(0, compute, Duration.ofSeconds(60), clock);
        imds.attestWith(signer);
        closing.add(imds);
        return imds;
    }

    private void startAgent(String nodeId, Object imds) throws Exception {
        String url = imds instanceof FakeImds f ? f.baseUrl() : (String) imds;
        List<String> args = new ArrayList<>(coordinator.agentArgs());
        args.addAll(List.of("--imds-url", url, "--pool", POOL, "--heartbeat-millis", "500",
                "--state-dir", state(nodeId).toString(), "--local-socket", dir.resolve(nodeId + ".sock").toString()));
        closing.add(JarProcess.start(JarProcess.AGENT_JAR, "attest-" + nodeId, args,
                Map.of("DROVER_ENROLMENT_TOKEN", TOKEN)));
    }

    private Path state(String nodeId) {
        return dir.resolve("state-" + nodeId);
    }

    private Path credential(String nodeId) {
        return state(nodeId).resolve("node-credential");
    }

    private List<String> rejections(String nodeId) throws Exception {
        return coordinator.process().output().lines().filter(l -> l.contains("agent rejected: nodeId " + nodeId + ":"))
                .toList();
    }

    private static final Pattern NONCE = Pattern.compile("nonce=(\\d{10})");

    /**
     * A proxy in front of {@code imds} that asks it for a document for another nonce than the agent's: the agent
     * presents a genuine, fresh document of its own VM, made for a nonce it was not given (a replay).
     */
    private String otherNonce(FakeImds imds) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpServer proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        proxy.createContext("/", ex -> {
            String uri = ex.getRequestURI().toString();
            Matcher m = NONCE.matcher(uri);
            if (m.find()) {
                String nonce = m.group(1);
                uri = m.replaceFirst("nonce=" + (nonce.equals("1234567890") ? "1234567891" : "1234567890"));
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(imds.baseUrl() + uri))
                    .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(ex.getRequestBody()
                            .readAllBytes()));
            ex.getRequestHeaders().forEach((name, values) -> {
                if (name.equalsIgnoreCase("Metadata") || name.equalsIgnoreCase("Content-Type")) {
                    values.forEach(v -> b.header(name, v));
                }
            });
            try {
                HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(r.body());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.sendResponseHeaders(502, -1);
            }
        });
        proxy.start();
        closing.add(() -> proxy.stop(0));
        return "http://127.0.0.1:" + proxy.getAddress().getPort();
    }
}
