package dev.drover.coordinator.identity;

import dev.drover.coordinator.config.ConfigException;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.config.CoordinatorConfigFile;
import dev.drover.coordinator.tls.Pem;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Builds the coordinator's {@link IdentityGate} from its config: token files read, trust root loaded. */
public final class IdentitySetup {
    private IdentitySetup() {
    }

    /**
     * @param farmTokens the farm-wide tokens, already read
     * @param members a pool's scale set as last listed from ARM (attestation checks a VM is one of its instances)
     * @throws ConfigException naming the field and file
     */
    public static IdentityGate gate(CoordinatorConfig config, List<String> farmTokens, NodeCredentials credentials,
            Function<String, ScaleSetMembers> members, Clock clock) {
        CoordinatorConfig.Enrolment e = config.enrolment();
        List<EnrolmentPolicy.PoolToken> poolTokens = new ArrayList<>();
        for (CoordinatorConfig.PoolToken t : e.poolTokens()) {
            String field = "enrolment.poolTokens[" + t.pool() + "].tokenFile";
            List<String> secrets = t.token() != null ? List.of(t.token())
                    : CoordinatorConfigFile.readTokens(t.tokenFile(), field);
            for (String s : secrets) {
                poolTokens.add(new EnrolmentPolicy.PoolToken(t.pool(), s, t.expiresAt()));
            }
        }
        Set<String> pools = config.pools().stream().map(CoordinatorConfig.Pool::name).collect(Collectors.toSet());
        return new IdentityGate(new EnrolmentPolicy(farmTokens, poolTokens), credentials, attestor(config, members),
                pools, e.maxUnpooledNodes(), clock);
    }

    private static Attestor attestor(CoordinatorConfig config, Function<String, ScaleSetMembers> members) {
        CoordinatorConfig.Attestation a = config.enrolment().attestation();
        if (a == null) {
            return null;
        }
        List<X509Certificate> trust;
        try {
            trust = Pem.readCertificates(Path.of(a.trustRootFile()));
        } catch (IOException | RuntimeException ex) {
            throw new ConfigException("enrolment.attestation.trustRootFile: cannot read " + a.trustRootFile() + ": "
                    + ex.getMessage(), ex);
        }
        if (trust.isEmpty()) {
            throw new ConfigException("enrolment.attestation.trustRootFile: " + a.trustRootFile()
                    + " holds no certificate");
        }
        Map<String, Attestor.ScaleSetRef> azure = new HashMap<>();
        for (CoordinatorConfig.Pool p : config.pools()) {
            if (p.scaleSet() != null && p.scaleSet().provider().equals("azure")) {
                azure.put(p.name(), new Attestor.ScaleSetRef(p.scaleSet().subscription(), members.apply(p.name())));
            }
        }
        return new Attestor(trust, Attestor.AZURE_SIGNER, Duration.ofSeconds(a.maxAgeSeconds()), azure);
    }
}
