package dev.drover.agent;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.config.AgentConfigFile;
import dev.drover.agent.config.ConfigException;
import dev.drover.agent.fakeimds.FakeImdsCommand;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drover-agent}: the daemon on every render VM. Exits 2 on a configuration error, naming the field. */
@Command(name = "drover-agent", mixinStandardHelpOptions = true, versionProvider = AgentVersion.class,
        description = "Drover render-node agent: reports this node to the Drover coordinator.",
        subcommands = {FakeImdsCommand.class, dev.drover.agent.helper.HelperCommand.class})
public final class AgentMain implements Callable<Integer> {
    private static final Logger LOGGER = LoggerFactory.getLogger(AgentMain.class);
    static final String TOKEN_ENV = "DROVER_ENROLMENT_TOKEN";

    @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (see agent.example.yaml).")
    Path configFile;

    @Option(names = "--coordinator", paramLabel = "HOST:PORT", description = "Overrides coordinator.host/port.")
    String coordinator;

    @Option(names = "--node-id", paramLabel = "ID", description = "Overrides node.id (off Azure).")
    String nodeId;

    @Option(names = "--pool", paramLabel = "NAME", description = "Overrides node.pool.")
    String pool;

    @Option(names = "--enrolment-token-file", paramLabel = "FILE",
            description = "Overrides coordinator.enrolmentTokenFile. The token may also come from $" + TOKEN_ENV + ".")
    String tokenFile;

    @Option(names = "--coordinator-ca-file", paramLabel = "FILE",
            description = "Overrides coordinator.tls.caFile: the coordinator's CA certificate (PEM) to pin.")
    String caFile;

    @Option(names = "--coordinator-ca-sha256", paramLabel = "HEX",
            description = "Overrides coordinator.tls.caSha256: the SHA-256 fingerprint of the coordinator's CA.")
    String caSha256;

    @Option(names = "--insecure-plaintext",
            description = "No TLS to the coordinator (local development only; the token goes out in clear).")
    boolean insecurePlaintext;

    @Option(names = "--imds-url", paramLabel = "URL", description = "Overrides imds.baseUrl (e.g. a fake IMDS in tests).")
    String imdsUrl;

    @Option(names = "--no-imds", description = "Off Azure: take the identity from config instead of IMDS.")
    boolean noImds;

    @Option(names = "--local-socket", paramLabel = "PATH", description = "Overrides localSocket (drover-run reports here).")
    String localSocket;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Overrides stateDir (outbox journal, task ledger).")
    String stateDir;

    @Option(names = "--helper-socket", paramLabel = "PATH",
            description = "Overrides helper.socket: mount and start tasks through the root helper listening there.")
    String helperSocket;

    @Option(names = "--heartbeat-millis", paramLabel = "MILLIS", description = "Overrides heartbeat.intervalMillis.")
    Integer heartbeatMillis;

    public static void main(String[] args) {
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    @Option(names = "--demo-imds-port", paramLabel = "PORT", hidden = true,
            description = "Local demo only: serve a fake IMDS for this node on 127.0.0.1:PORT and use it.")
    Integer demoImdsPort;

    @Override
    public Integer call() throws Exception {
        AgentConfig config;
        String token;
        try {
            config = applyOverrides(configFile != null ? AgentConfigFile.load(configFile) : AgentConfig.defaults());
            token = enrolmentToken(config);
            // it travels in the Hello as a short wire string: one that cannot is refused here, not at every connect
            dev.drover.protocol.WireText.problem(token, dev.drover.protocol.ProtocolLimits.MAX_SHORT_STRING)
                    .ifPresent(p -> {
                        throw new IllegalArgumentException("enrolment token (" + TOKEN_ENV + ", coordinator."
                                + "enrolmentToken or enrolmentTokenFile): " + p); // never the token itself
                    });
            dev.drover.agent.tls.CoordinatorTls.requirePinOrPlaintext(config.coordinator()); // before IMDS waits
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("drover-agent: configuration error: " + e.getMessage());
            return 2;
        }
        LOGGER.atInfo().addKeyValue("version", AgentVersion.VERSION).addKeyValue("java", Runtime.version())
                .addKeyValue("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
                .log("drover-agent");
        dev.drover.agent.fakeimds.FakeImds demoImds = null;
        if (demoImdsPort != null) {
            // The demo's stand-in for a VM: IMDS is fake, everything that reads it is the production code.
            String name = config.node().id();
            demoImds = new dev.drover.agent.fakeimds.FakeImds(demoImdsPort, dev.drover.agent.fakeimds.FakeImdsCommand
                    .compute(name, name, config.node().pool(), "Spot", "Standard_D4s_v5"),
                    java.time.Duration.ofSeconds(60), java.time.Clock.systemUTC());
            AgentConfig.Imds i = config.imds();
            config = new AgentConfig(config.coordinator(), config.node(), new AgentConfig.Imds(true, demoImds.baseUrl(),
                    i.pollMillis(), i.timeoutMillis(), i.approveTerminate(), i.approvePreempt(), i.terminateMarginSeconds()), config.mounts(),
                    config.heartbeat(), config.reconnect(), config.outbox(), config.scratchDir(), config.localSocket(),
                    config.logs(), config.stateDir(), config.tasks(), config.helper());
        }
        // SIGTERM (systemd stop, scale-in) and SIGINT end the agent cleanly with status 0: a JVM left to its
        // default handling would run shutdown hooks and still exit 143, which systemd counts as a failure.
        // Installed before the identity is resolved, which can wait for IMDS for a long time: a stop then
        // simply ends the process, as nothing has started yet.
        CountDownLatch stopRequested = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean created = new java.util.concurrent.atomic.AtomicBoolean();
        for (String signal : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), sig -> {
                stopRequested.countDown();
                if (!created.get()) {
                    System.exit(0);
                }
            });
        }
        Agent agent;
        try {
            agent = Agent.create(config, token);
        } catch (dev.drover.agent.state.StateDirectoryException e) {
            System.err.println("drover-agent: " + e.getMessage());
            return 2;
        } catch (ConfigException e) {
            System.err.println("drover-agent: configuration error: " + e.getMessage());
            return 2;
        }
        created.set(true);
        agent.start();
        stopRequested.await();
        agent.stop();
        if (demoImds != null) {
            demoImds.close();
        }
        return 0;
    }

    private AgentConfig applyOverrides(AgentConfig c) {
        AgentConfig.Coordinator co = c.coordinator();
        if (coordinator != null) {
            int colon = coordinator.lastIndexOf(':');
            if (colon < 1) {
                throw new IllegalArgumentException("--coordinator must be HOST:PORT, got '" + coordinator + "'");
            }
            int port;
            try {
                port = Integer.parseInt(coordinator.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--coordinator port must be a number, got '" + coordinator + "'");
            }
            co = new AgentConfig.Coordinator(coordinator.substring(0, colon), port, co.enrolmentToken(),
                    co.enrolmentTokenFile(), co.tls());
        }
        if (tokenFile != null) {
            co = new AgentConfig.Coordinator(co.host(), co.port(), null, tokenFile, co.tls());
        }
        if (caFile != null || caSha256 != null || insecurePlaintext) {
            AgentConfig.Tls t = co.tls();
            boolean pin = caFile != null || caSha256 != null;
            co = new AgentConfig.Coordinator(co.host(), co.port(), co.enrolmentToken(), co.enrolmentTokenFile(),
                    new AgentConfig.Tls(pin ? caFile : null, pin ? caSha256 : null, null,
                            t.serverName(), insecurePlaintext));
        }
        AgentConfig.Node node = c.node();
        if (nodeId != null || pool != null) {
            node = new AgentConfig.Node(nodeId != null ? nodeId : node.id(), pool != null ? pool : node.pool(),
                    node.slots(), node.gpus());
        }
        AgentConfig.Heartbeat hb = heartbeatMillis != null
                ? new AgentConfig.Heartbeat(heartbeatMillis, c.heartbeat().jitterPercent())
                : c.heartbeat();
        AgentConfig.Imds imds = c.imds();
        if (imdsUrl != null || noImds) {
            imds = new AgentConfig.Imds(noImds ? Boolean.FALSE : imds.enabled(), imdsUrl != null ? imdsUrl : imds.baseUrl(),
                    imds.pollMillis(), imds.timeoutMillis(), imds.approveTerminate(), imds.approvePreempt(),
                    imds.terminateMarginSeconds());
        }
        return new AgentConfig(co, node, imds, c.mounts(), hb, c.reconnect(), c.outbox(), c.scratchDir(),
                localSocket != null ? localSocket : c.localSocket(), c.logs(), stateDir != null ? stateDir : c.stateDir(),
                c.tasks(), helperSocket != null ? new AgentConfig.Helper(helperSocket, c.helper().agentUser())
                        : c.helper());
    }

    private static String enrolmentToken(AgentConfig config) {
        AgentConfig.Coordinator co = config.coordinator();
        if (co.enrolmentTokenFile() != null) {
            return AgentConfigFile.readSecret(co.enrolmentTokenFile(), "coordinator.enrolmentTokenFile");
        }
        if (co.enrolmentToken() != null) {
            return co.enrolmentToken();
        }
        String env = System.getenv(TOKEN_ENV);
        return env != null ? env.trim() : "";
    }
}
