package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.agent.fakeimds.AttestedSigner;
import dev.drover.agent.fakeimds.FakeImds;
import dev.drover.agent.fakeimds.FakeImdsCommand;
import dev.drover.agent.imds.ImdsClient;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.identity.Attestor;
import dev.drover.coordinator.identity.EnrolmentPolicy;
import dev.drover.coordinator.identity.IdentityGate;
import dev.drover.coordinator.identity.MemoryNodeCredentials;
import dev.drover.coordinator.identity.ScaleSetMembers;
import dev.drover.coordinator.metrics.Metrics;
import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Priority;
import dev.drover.protocol.Reject;
import dev.drover.protocol.RejectReason;
import dev.drover.protocol.Welcome;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Azure node attestation through the real gateway over TCP, with documents from the strict fake IMDS. A test root
 * plays Microsoft's role (SECURITY.md): the coordinator trusts it the way production trusts Microsoft's root. A
 * pool with a scale set lets a new node in only with a fresh document for the nonce it was given, signed under the
 * trusted root, naming a VM of that scale set.
 */
class AttestationIT {
    private static final String TOKEN = "attestation-token-0123456789";
    private static final String POOL = "azpool";
    private static final String SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"; // FakeImdsCommand.compute's

    private Vertx vertx;
    private AgentGatewayVerticle gateway;
    private final AttestedSigner microsoft = AttestedSigner.create(AttestedSigner.SIGNER_NAME, Instant.now());
    private FakeImds member;
    private FakeImds foreign;
    private String memberVmId;

    @BeforeEach
    void deploy() throws Exception {
        member = imds("render-az_3", microsoft, Clock.systemUTC());
        foreign = imds("someone-else_7", microsoft, Clock.systemUTC());
        memberVmId = FakeImdsCommand.compute("render-az_3", "x", "", "Spot", "s").get("vmId");
        X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(microsoft.rootPem().getBytes(StandardCharsets.US_ASCII)));
        Attestor attestor = new Attestor(List.of(root), Attestor.AZURE_SIGNER, Duration.ofMinutes(5),
                Map.of(POOL, new Attestor.ScaleSetRef(SUBSCRIPTION, ScaleSetMembers.fixed(Set.of(memberVmId)))));
        IdentityGate gate = new IdentityGate(new EnrolmentPolicy(List.of(TOKEN), List.of()), new MemoryNodeCredentials(),
                attestor, Set.of(POOL), 100, Clock.systemUTC());
        vertx = Vertx.vertx();
        CoordinatorConfig config = new CoordinatorConfig(new CoordinatorConfig.Gateway("127.0.0.1", 0, null, 5000, 100,
                null), null, new CoordinatorConfig.Liveness(1000, 0, 3, 60_000),
                new CoordinatorConfig.Enrolment(List.of(TOKEN), null));
        NodeRegistry registry = new NodeRegistry(Clock.systemUTC(), config.liveness().settings(), 100);
        gateway = new AgentGatewayVerticle(config, registry, gate, new AtomicInteger(), new Metrics(),
                new MemoryDeliveryLedger());
        vertx.deployVerticle(gateway).await();
    }

    @AfterEach
    void close() {
        vertx.close().await();
        member.close();
        foreign.close();
    }

    private static FakeImds imds(String vmName, AttestedSigner signer, Clock clock) throws Exception {
        FakeImds imds = new FakeImds(0, FakeImdsCommand.compute(vmName, vmName, "render-az", "Spot", "Standard_D4s_v5"),
                Duration.ofSeconds(60), clock);
        imds.attestWith(signer);
        return imds;
    }

    private static Hello hello(String nodeId, String vmId) {
        return new Hello(1, 1, "attest", new NodeIdentity(nodeId, vmId, nodeId, "render-az", "3", "Standard_D4s_v5",
                Priority.SPOT, "local", "", POOL), 1, 0, TOKEN, "", 0);
    }

    private Message say(Hello hello) throws Exception {
        try (WireClient c = new WireClient(gateway.actualPort())) {
            c.send(hello);
            return c.receive();
        }
    }

    /** The nonce the coordinator challenges a document-less Hello with. */
    private String challenge(Hello hello) throws Exception {
        Reject r = (Reject) say(hello);
        assertThat(r.reason()).isEqualTo(RejectReason.ATTESTATION_REQUIRED);
        assertThat(r.attestationNonce()).matches("[0-9]{10}");
        return r.attestationNonce();
    }

    private static String document(FakeImds imds, String nonce) throws Exception {
        return new ImdsClient(imds.baseUrl(), Duration.ofSeconds(10)).attestedDocument(nonce);
    }

    private static Reject refused(Message m) {
        assertThat(m).isInstanceOf(Reject.class);
        assertThat(((Reject) m).reason()).isEqualTo(RejectReason.BAD_CREDENTIAL);
        return (Reject) m;
    }

    @Test
    void aFreshDocumentForTheNonceFromAVmOfTheScaleSetEnrolsOnce() throws Exception {
        Hello hello = hello("render-az-3", memberVmId);
        String doc = document(member, challenge(hello));

        Message m = say(hello.withProof("", doc));

        assertThat(m).isInstanceOf(Welcome.class);
        assertThat(((Welcome) m).nodeCredential()).isNotEmpty();
        // the same document again (a replay): its nonce is used up
        assertThat(refused(say(hello.withProof("", doc))).detail()).contains("no attestation nonce outstanding");
    }

    @Test
    void aDocumentForAnotherNonceIsRefused() throws Exception {
        Hello hello = hello("render-az-3", memberVmId);
        String nonce = challenge(hello);
        String other = nonce.equals("1234567890") ? "1234567891" : "1234567890";

        assertThat(refused(say(hello.withProof("", document(member, other)))).detail()).contains("another nonce");
    }

    @Test
    void aVmOutsideThePoolsScaleSetIsRefused() throws Exception {
        String foreignVmId = FakeImdsCommand.compute("someone-else_7", "x", "", "Spot", "s").get("vmId");
        Hello hello = hello("someone-else-7", foreignVmId);

        Reject r = refused(say(hello.withProof("", document(foreign, challenge(hello)))));

        assertThat(r.detail()).contains("not an instance of pool " + POOL);
    }

    @Test
    void aDocumentNamingAnotherVmThanTheHelloIsRefused() throws Exception {
        // a foreign VM claiming the member's vmId in its Hello, with its own (genuinely signed) document
        Hello hello = hello("render-az-3", memberVmId);

        assertThat(refused(say(hello.withProof("", document(foreign, challenge(hello))))).detail())
                .contains("the Hello names VM");
    }

    @Test
    void aDocumentSignedUnderAnotherRootIsRefused() throws Exception {
        AttestedSigner forger = AttestedSigner.create(AttestedSigner.SIGNER_NAME, Instant.now());
        try (FakeImds evil = imds("render-az_3", forger, Clock.systemUTC())) {
            Hello hello = hello("render-az-3", memberVmId);

            assertThat(refused(say(hello.withProof("", document(evil, challenge(hello))))).detail())
                    .contains("does not chain to the configured trust root");
        }
    }

    @Test
    void aStaleDocumentIsRefused() throws Exception {
        Clock tenMinutesAgo = Clock.fixed(Instant.now().minus(Duration.ofMinutes(10)), ZoneOffset.UTC);
        try (FakeImds stale = imds("render-az_3", microsoft, tenMinutesAgo)) {
            Hello hello = hello("render-az-3", memberVmId);

            assertThat(refused(say(hello.withProof("", document(stale, challenge(hello))))).detail())
                    .contains("not within 300 s");
        }
    }

    @Test
    void garbageInsteadOfADocumentIsRefusedAndTheGatewayKeepsServing() throws Exception {
        Hello hello = hello("render-az-3", memberVmId);
        challenge(hello);

        assertThat(refused(say(hello.withProof("", "bm90IGEgZG9jdW1lbnQ="))).detail()).contains("PKCS#7");
        // and a proper attempt afterwards still works
        assertThat(say(hello.withProof("", document(member, challenge(hello))))).isInstanceOf(Welcome.class);
    }
}
