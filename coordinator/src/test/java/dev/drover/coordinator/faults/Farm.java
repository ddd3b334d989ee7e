package dev.drover.coordinator.faults;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A coordinator and real agents for a fault test, started from the jars exactly as the README runs them,
 * either on loopback or in the namespaces of a {@link NetNs}. Each program gets a working directory of its own
 * (where any state it keeps on disk by default lands) and is stopped by PID in {@link #close()}.
 */
final class Farm implements AutoCloseable {
    static final String TOKEN = "faults-enrolment-token-0123456789";
    static final int GATEWAY_PORT_IN_NS = 7700;
    static final int HTTP_PORT_IN_NS = 7780;

    private final Path dir;
    private final NetNs net;
    private final List<FaultProcess> processes = new ArrayList<>();
    private final String coordinatorYaml;
    private final String coordinatorHeap;
    private final int httpPort;
    private final int gatewayPort;
    private final String gatewayHost;
    private int coordinatorStarts;
    private Map<String, String> coordinatorEnv = Map.of();
    private final Map<String, FaultProcess> agents = new java.util.concurrent.ConcurrentHashMap<>();
    FaultProcess coordinator;
    final Api api;

    /**
     * @param net null: everything on loopback
     * @param extraYaml more top-level coordinator config (liveness:, pools:)
     */
    Farm(Path dir, NetNs net, String extraYaml, String coordinatorHeap) throws Exception {
        this.dir = dir;
        this.net = net;
        this.coordinatorHeap = coordinatorHeap;
        if (net == null) {
            gatewayHost = "127.0.0.1";
            gatewayPort = freePort();
            httpPort = freePort();
        } else {
            gatewayHost = net.headIp;
            gatewayPort = GATEWAY_PORT_IN_NS;
            httpPort = net.expose(net.head, HTTP_PORT_IN_NS, freePort());
        }
        // Plaintext agent channel (the explicit, loudly logged development option): the 1,000 simulated agents
        // speak PROTOCOL.md over bare TCP. TLS has tests of its own; these are about faults. The store lives in
        // the test's folder, so a restarted coordinator finds it and no other run sees it. All simulated agents
        // connect from one address, which no real farm does: the per-address limit of waiting Hellos is raised.
        coordinatorYaml = """
                gateway: {host: %s, port: %d, maxPendingPerAddress: 5000, tls: {insecurePlaintext: true}}
                http: {host: 127.0.0.1, port: %d}
                enrolment: {tokens: [%s]}
                store: {path: '%s'}
                %s
                """.formatted(gatewayHost, gatewayPort, net == null ? httpPort : HTTP_PORT_IN_NS, TOKEN,
                dir.resolve("coordinator").resolve("coordinator.db"), extraYaml);
        api = new Api(httpPort);
    }

    /** Environment of the coordinator process (e.g. a managed identity for a fake ARM). */
    void coordinatorEnv(Map<String, String> env) {
        coordinatorEnv = Map.copyOf(env);
    }

    String gateway() {
        return gatewayHost + ":" + gatewayPort;
    }

    int gatewayPort() {
        return gatewayPort;
    }

    /** Starts the coordinator (again, after a crash: same config, same working directory) and waits for /healthz. */
    FaultProcess startCoordinator() throws Exception {
        Path home = Files.createDirectories(dir.resolve("coordinator"));
        Path config = home.resolve("coordinator.yaml");
        Files.writeString(config, coordinatorYaml);
        coordinator = FaultProcess.startJar(net == null ? null : net.head, FaultProcess.COORDINATOR_JAR,
                coordinatorHeap, "coordinator-" + dir.getFileName() + "-" + (++coordinatorStarts), home,
                List.of("--config", config.toString()), coordinatorEnv);
        processes.add(coordinator);
        // a restarted coordinator restoring 1,000 nodes took 38 s to start on the loaded 2-core machine
        await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(100)).until(api::healthy);
        return coordinator;
    }

    /** A real agent off Azure (no IMDS), or with {@code imdsUrl} when it is not null. */
    FaultProcess startAgent(String nodeId, String pool, String imdsUrl) throws Exception {
        Path home = Files.createDirectories(dir.resolve("agent-" + nodeId));
        List<String> args = new ArrayList<>(List.of("--coordinator", gateway(), "--pool", pool,
                "--local-socket", home.resolve("agent.sock").toString(),
                // its own state (outbox journal, task ledger): the default /var/lib/drover/agent is one per host
                "--state-dir", home.resolve("state").toString(), "--insecure-plaintext"));
        if (imdsUrl == null) {
            args.addAll(List.of("--no-imds", "--node-id", nodeId));
        } else {
            args.addAll(List.of("--imds-url", imdsUrl));
        }
        FaultProcess agent = FaultProcess.startJar(net == null ? null : net.render, FaultProcess.AGENT_JAR, "128m",
                "agent-" + nodeId + "-" + System.nanoTime(), home, args, Map.of("DROVER_ENROLMENT_TOKEN", TOKEN));
        processes.add(agent);
        agents.put(nodeId, agent);
        return agent;
    }

    /** A fake IMDS (drover-agent fake-imds) for one VM, in the render namespace; its URL from the render side. */
    FaultProcess startFakeImds(int port, String vmName, String computerName) throws Exception {
        FaultProcess imds = FaultProcess.startJar(net == null ? null : net.render, FaultProcess.AGENT_JAR, "64m",
                "imds-" + computerName, dir, List.of("fake-imds", "--port", String.valueOf(port), "--vm-name", vmName,
                        "--computer-name", computerName, "--scale-set", "faults"), Map.of());
        processes.add(imds);
        return imds;
    }

    /** The latest process started for this node. */
    FaultProcess agentProcess(String nodeId) {
        return agents.get(nodeId);
    }

    void track(FaultProcess p) {
        processes.add(p);
    }

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A free port below Linux's ephemeral range (32768+): a coordinator restarted on it must not find it taken
     * by one of a thousand outgoing agent connections meanwhile.
     */
    static int freePort() throws Exception {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (java.net.ServerSocket s = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (java.io.IOException inUse) {
                // try another
            }
        }
        throw new IllegalStateException("no free port in 20000..31999");
    }

    @Override
    public void close() throws Exception {
        for (FaultProcess p : processes) {
            p.close();
        }
    }
}
