package dev.drover.coordinator;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.tls.GatewayTls;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.util.List;

/**
 * TLS for tests, set up the way operators do: the coordinator creates its CA in a folder of the test's own,
 * and agents (real jars or test clients) pin that CA.
 */
public final class TestTls {
    private TestTls() {
    }

    public static Path dir(Path testDir) {
        return testDir.resolve("tls");
    }

    public static Path caFile(Path testDir) {
        return dir(testDir).resolve(GatewayTls.CA_CERT);
    }

    /** A gateway on a free loopback port with TLS from {@code testDir/tls} (created on start). */
    public static CoordinatorConfig.Gateway gateway(Path testDir) {
        return new CoordinatorConfig.Gateway("127.0.0.1", 0, null, null, null, null, tls(testDir), null);
    }

    public static CoordinatorConfig.Tls tls(Path testDir) {
        return new CoordinatorConfig.Tls(dir(testDir).toString(), null, null, null, List.of("127.0.0.1"), false);
    }

    /** YAML flow-style {@code gateway:} keys for a coordinator jar, e.g. appended inside {@code gateway: {...}}. */
    public static String gatewayYaml(Path testDir) {
        return ", tls: {dir: '" + dir(testDir) + "', hosts: [127.0.0.1]}";
    }

    /** The agent jar's command-line options that pin the test coordinator's CA. */
    public static List<String> agentArgs(Path testDir) {
        return List.of("--coordinator-ca-file", caFile(testDir).toString());
    }

    /** A Netty client context for test clients that trust the test coordinator's CA (name checked by callers). */
    public static SslContext clientContext(Path testDir) throws Exception {
        return SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3")
                .trustManager(caFile(testDir).toFile()).build();
    }
}
