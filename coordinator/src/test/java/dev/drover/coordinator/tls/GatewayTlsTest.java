package dev.drover.coordinator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.coordinator.config.ConfigException;
import dev.drover.coordinator.config.CoordinatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayTlsTest {
    @TempDir
    Path dir;

    private CoordinatorConfig.Gateway gateway(String host, List<String> hosts) {
        return new CoordinatorConfig.Gateway(host, 0, null, null, null, null,
                new CoordinatorConfig.Tls(dir.toString(), null, null, null, hosts, false), null);
    }

    @Test
    void createsCaAndServerCertificateOnceThenReusesThem() throws Exception {
        GatewayTls.Material first = GatewayTls.prepare(gateway("10.1.2.3", List.of()), Instant.now());
        assertThat(first.created()).isTrue();
        assertThat(Files.getPosixFilePermissions(dir.resolve(GatewayTls.CA_KEY)))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Files.getPosixFilePermissions(dir.resolve(GatewayTls.SERVER_KEY)))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        List<X509Certificate> chain = Pem.readCertificates(first.certChain());
        chain.get(0).verify(first.ca().getPublicKey()); // signed by the CA
        assertThat(chain.get(0).getSubjectAlternativeNames()).anySatisfy(san -> assertThat(san.get(1)).isEqualTo("10.1.2.3"));
        assertThat(first.caFingerprint()).matches("[0-9a-f]{64}");

        GatewayTls.Material again = GatewayTls.prepare(gateway("10.1.2.3", List.of()), Instant.now());
        assertThat(again.created()).isFalse();
        assertThat(again.caFingerprint()).isEqualTo(first.caFingerprint());
        assertThat(Pem.readCertificates(again.certChain()).get(0)).isEqualTo(chain.get(0));
    }

    @Test
    void reissuesTheServerCertificateWhenHostsChangeKeepingTheCa() throws Exception {
        GatewayTls.Material first = GatewayTls.prepare(gateway("10.1.2.3", List.of()), Instant.now());
        GatewayTls.Material moved = GatewayTls.prepare(gateway("0.0.0.0", List.of("head.render.internal", "10.9.9.9")),
                Instant.now());
        assertThat(moved.caFingerprint()).isEqualTo(first.caFingerprint()); // agents keep their pin
        X509Certificate server = Pem.readCertificates(moved.certChain()).get(0);
        assertThat(server.getSubjectAlternativeNames()).extracting(san -> String.valueOf(san.get(1)))
                .contains("head.render.internal", "10.9.9.9");
    }

    @Test
    void wildcardListenAddressNeedsNamedHosts() {
        assertThatThrownBy(() -> GatewayTls.prepare(gateway("0.0.0.0", List.of()), Instant.now()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.hosts");
    }

    @Test
    void unwritableDirectoryIsAConfigErrorNamingTheField() throws Exception {
        Path file = dir.resolve("not-a-dir");
        Files.writeString(file, "x");
        CoordinatorConfig.Gateway g = new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null, null,
                new CoordinatorConfig.Tls(file.resolve("tls").toString(), null, null, null, null, false), null);
        assertThatThrownBy(() -> GatewayTls.prepare(g, Instant.now())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("gateway.tls");
    }
}
