package dev.drover.coordinator.tls;

import dev.drover.coordinator.config.ConfigException;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.config.CoordinatorConfigFile;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code drover-coordinator tls init|fingerprint}: creates the agent channel's CA and server certificate as the
 * coordinator would on first run, and prints the CA's SHA-256 fingerprint for images and cloud-init.
 */
@Command(name = "tls", mixinStandardHelpOptions = true,
        description = {"Agent-channel TLS: 'init' creates the CA and server certificate (if missing) and shows them;",
                "'fingerprint' prints only the CA's SHA-256 fingerprint (for coordinator.tls.caSha256 on agents)."})
public final class TlsCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "init|fingerprint")
    String action;

    @Option(names = "--config", paramLabel = "FILE", description = "The coordinator's config (gateway.host, gateway.tls).")
    Path configFile;

    @Override
    public Integer call() {
        if (!action.equals("init") && !action.equals("fingerprint")) {
            System.err.println("drover-coordinator tls: expected 'init' or 'fingerprint', got '" + action + "'");
            return 2;
        }
        if (configFile == null) {
            System.err.println("drover-coordinator tls: --config FILE is required");
            return 2;
        }
        try {
            CoordinatorConfig config = CoordinatorConfigFile.load(configFile);
            if (config.gateway().tls().insecurePlaintext()) {
                System.err.println("drover-coordinator tls: gateway.tls.insecurePlaintext is true; there is no TLS");
                return 2;
            }
            GatewayTls.Material m = GatewayTls.prepare(config.gateway(), Instant.now());
            if (action.equals("fingerprint")) {
                System.out.println(m.caFingerprint());
            } else {
                System.out.println((m.created() ? "created" : "existing") + " agent-channel TLS material:");
                System.out.println("  server certificate: " + m.certChain());
                System.out.println("  server key:         " + m.key());
                System.out.println("  CA SHA-256:         " + m.caFingerprint());
                System.out.println("Agents pin it with coordinator.tls.caSha256 (or caFile: the CA certificate).");
            }
            return 0;
        } catch (ConfigException e) {
            System.err.println("drover-coordinator tls: configuration error: " + e.getMessage());
            return 2;
        }
    }
}
