package dev.drover.coordinator.config;

import dev.drover.coordinator.fleet.LivenessSettings;
import dev.drover.protocol.ProtocolLimits;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything the coordinator reads from its YAML file (see {@code coordinator.example.yaml} for every key
 * with its default). Records validate themselves; the loader adds the file name to any error.
 */
public record CoordinatorConfig(Gateway gateway, Http http, Liveness liveness, Enrolment enrolment, Tractor tractor,
        List<Pool> pools, Map<String, Integer> licences, Double farmMaxCostPerHour, Scaling scaling, Azure azure,
        Store store) {

    /** A coordinator without Tractor or pools: it tracks nodes only, with its state in memory (tests). */
    public CoordinatorConfig(Gateway gateway, Http http, Liveness liveness, Enrolment enrolment) {
        this(gateway, http, liveness, enrolment, null, null, null, null, null, null, Store.memory());
    }

    /** Built in code (tests, benchmarks): state in memory only. */
    public CoordinatorConfig(Gateway gateway, Http http, Liveness liveness, Enrolment enrolment, Tractor tractor,
            List<Pool> pools, Map<String, Integer> licences, Double farmMaxCostPerHour) {
        this(gateway, http, liveness, enrolment, tractor, pools, licences, farmMaxCostPerHour, null, null,
                Store.memory());
    }

    /** Built in code (tests, benchmarks): state in memory only. */
    public CoordinatorConfig(Gateway gateway, Http http, Liveness liveness, Enrolment enrolment, Tractor tractor,
            List<Pool> pools, Map<String, Integer> licences, Double farmMaxCostPerHour, Scaling scaling, Azure azure) {
        this(gateway, http, liveness, enrolment, tractor, pools, licences, farmMaxCostPerHour, scaling, azure,
                Store.memory());
    }

    public CoordinatorConfig {
        pools = pools != null ? List.copyOf(pools) : List.of();
        licences = licences != null ? Map.copyOf(licences) : Map.of();
        farmMaxCostPerHour = farmMaxCostPerHour != null ? farmMaxCostPerHour : Double.POSITIVE_INFINITY;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Pool p : pools) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("pools: two pools are named " + p.name());
            }
        }
        for (Pool p : pools) {
            if (p.fallbackPool() != null && !names.contains(p.fallbackPool())) {
                throw new IllegalArgumentException("pools[" + p.name() + "].fallbackPool: no pool named "
                        + p.fallbackPool());
            }
        }
        if (!(farmMaxCostPerHour >= 0)) {
            throw new IllegalArgumentException("farmMaxCostPerHour must be >= 0, got " + farmMaxCostPerHour);
        }
        gateway = gateway != null ? gateway : new Gateway(null, null, null, null, null, null, null, null);
        http = http != null ? http : new Http(null, null);
        scaling = scaling != null ? scaling : new Scaling(null, null, null, null, null);
        azure = azure != null ? azure : new Azure(null, null, null);
        store = store != null ? store : new Store(null, null);

        liveness = liveness != null ? liveness : new Liveness(null, null, null, null);
        if (enrolment == null) {
            throw new IllegalArgumentException("enrolment: required; set enrolment.tokens or enrolment.tokenFile so "
                    + "that only your agents can join");
        }
    }

    /**
     * The TCP listener agents connect to.
     *
     * @param helloTimeoutMillis a connection that has not sent a valid Hello by then is closed
     * @param commandBuffer reliable commands kept per node until its agent acknowledges them
     */
    public record Gateway(String host, Integer port, Integer maxFrameLength, Integer helloTimeoutMillis,
            Integer maxConnections, Integer commandBuffer, Tls tls, Integer maxPendingPerAddress,
            MessageRate messageRate, Integer eventLoops) {
        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 7700;
        public static final int DEFAULT_HELLO_TIMEOUT_MILLIS = 10_000;
        public static final int DEFAULT_MAX_CONNECTIONS = 20_000;
        public static final int DEFAULT_COMMAND_BUFFER = 1_000;
        /** Connections from one address that have not finished their Hello yet (NAT'd racks share one). */
        public static final int DEFAULT_MAX_PENDING_PER_ADDRESS = 64;

        /**
         * One event loop per core serves agent connections by default: on one loop, 10,000 agents at a 1 s
         * heartbeat kept a single core of two busy while the other idled (BENCHMARKS.md, "Coordinator ingest").
         */
        public static int defaultEventLoops() {
            return Math.max(1, Runtime.getRuntime().availableProcessors());
        }

        /**
         * For in-process tests and tools written in Java: a PLAINTEXT gateway (no TLS). Configuration files go
         * through the canonical constructor, where TLS is on unless {@code tls.insecurePlaintext} says otherwise.
         */
        public Gateway(String host, Integer port, Integer maxFrameLength, Integer helloTimeoutMillis,
                Integer maxConnections, Integer commandBuffer) {
            this(host, port, maxFrameLength, helloTimeoutMillis, maxConnections, commandBuffer, Tls.plaintext(), null);
        }

        /** Without {@code messageRate}: the default per-session limit. */
        public Gateway(String host, Integer port, Integer maxFrameLength, Integer helloTimeoutMillis,
                Integer maxConnections, Integer commandBuffer, Tls tls, Integer maxPendingPerAddress) {
            this(host, port, maxFrameLength, helloTimeoutMillis, maxConnections, commandBuffer, tls,
                    maxPendingPerAddress, null);
        }

        /** Without {@code eventLoops}: one per core. */
        public Gateway(String host, Integer port, Integer maxFrameLength, Integer helloTimeoutMillis,
                Integer maxConnections, Integer commandBuffer, Tls tls, Integer maxPendingPerAddress,
                MessageRate messageRate) {
            this(host, port, maxFrameLength, helloTimeoutMillis, maxConnections, commandBuffer, tls,
                    maxPendingPerAddress, messageRate, null);
        }

        public Gateway {
            tls = tls != null ? tls : new Tls(null, null, null, null, null, null);
            messageRate = messageRate != null ? messageRate : new MessageRate(null, null);
            maxPendingPerAddress = maxPendingPerAddress != null ? maxPendingPerAddress : DEFAULT_MAX_PENDING_PER_ADDRESS;
            if (maxPendingPerAddress < 1) {
                throw new IllegalArgumentException("gateway.maxPendingPerAddress must be >= 1, got "
                        + maxPendingPerAddress);
            }
            host = host != null ? host : DEFAULT_HOST;
            port = port != null ? port : DEFAULT_PORT;
            maxFrameLength = maxFrameLength != null ? maxFrameLength : ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH;
            helloTimeoutMillis = helloTimeoutMillis != null ? helloTimeoutMillis : DEFAULT_HELLO_TIMEOUT_MILLIS;
            maxConnections = maxConnections != null ? maxConnections : DEFAULT_MAX_CONNECTIONS;
            commandBuffer = commandBuffer != null ? commandBuffer : DEFAULT_COMMAND_BUFFER;
            requirePort(port, "gateway.port");
            try {
                ProtocolLimits.checkMaxFrameLength(maxFrameLength);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("gateway." + e.getMessage());
            }
            if (helloTimeoutMillis < 100 || helloTimeoutMillis > 600_000) {
                throw new IllegalArgumentException("gateway.helloTimeoutMillis must be 100..600000, got "
                        + helloTimeoutMillis);
            }
            if (maxConnections < 1) {
                throw new IllegalArgumentException("gateway.maxConnections must be >= 1, got " + maxConnections);
            }
            if (commandBuffer < 16) {
                throw new IllegalArgumentException("gateway.commandBuffer must be >= 16, got " + commandBuffer);
            }
            eventLoops = eventLoops != null ? eventLoops : defaultEventLoops();
            if (eventLoops < 1 || eventLoops > 64) {
                throw new IllegalArgumentException("gateway.eventLoops must be 1..64, got " + eventLoops);
            }
        }
    }

    /**
     * How many messages one enrolled session may send (a token bucket per session). The defaults are far above
     * what a real agent sends (a heartbeat every few seconds, progress at 2 Hz per task) and let an agent resend
     * a full outbox (10,000 events by default) at once after a reconnect; raise {@code burst} for agents with a
     * larger {@code outbox.capacity}. Past a quarter of the burst, progress reports are dropped; a session that
     * empties the bucket is closed with Bye(PROTOCOL_ERROR).
     */
    public record MessageRate(Double perSecond, Integer burst) {
        public static final double DEFAULT_PER_SECOND = 500;
        public static final int DEFAULT_BURST = 20_000;

        public MessageRate {
            perSecond = perSecond != null ? perSecond : DEFAULT_PER_SECOND;
            burst = burst != null ? burst : DEFAULT_BURST;
            if (!(perSecond >= 1 && perSecond <= 1_000_000)) {
                throw new IllegalArgumentException("gateway.messageRate.perSecond must be 1..1000000, got " + perSecond);
            }
            if (burst < 16 || burst > 10_000_000) {
                throw new IllegalArgumentException("gateway.messageRate.burst must be 16..10000000, got " + burst);
            }
        }
    }

    /**
     * TLS on the agent channel (TLS 1.3). Without {@code certFile}/{@code keyFile} the coordinator creates its own
     * CA and a server certificate for {@code hosts} in {@code dir} on first run, and agents pin that CA.
     *
     * @param hosts names and addresses agents connect to (the certificate's SANs); default: {@code gateway.host}
     * @param insecurePlaintext no TLS at all: anyone on the network can read the enrolment token and pose as the
     *     coordinator. Local development only; logged loudly.
     */
    public record Tls(String dir, String certFile, String keyFile, String caFile, List<String> hosts,
            Boolean insecurePlaintext) {
        public static final String DEFAULT_DIR = "/var/lib/drover/tls";

        public Tls {
            dir = dir != null ? dir : DEFAULT_DIR;
            hosts = hosts != null ? List.copyOf(hosts) : List.of();
            insecurePlaintext = insecurePlaintext != null ? insecurePlaintext : Boolean.FALSE;
            if ((certFile == null) != (keyFile == null)) {
                throw new IllegalArgumentException("gateway.tls: set both certFile and keyFile, or neither (then the "
                        + "coordinator creates its own CA and certificate in gateway.tls.dir)");
            }
            for (String h : hosts) {
                if (h == null || h.isBlank() || h.length() > 253 || !h.matches("[A-Za-z0-9.:\\-]+")) {
                    throw new IllegalArgumentException("gateway.tls.hosts: '" + h + "' is not a host name or address");
                }
            }
        }

        public static Tls plaintext() {
            return new Tls(null, null, null, null, null, true);
        }
    }

    /**
     * The HTTP API and dashboard listener, and who may use it: viewers (artists: read everything) and
     * operators (ops: also drain nodes, pause pools, submit jobs). Tokens inline or one per line in a file.
     * With no token at all the API is open, which is allowed only on a loopback address.
     */
    public record Http(String host, Integer port, List<String> viewerTokens, List<String> operatorTokens,
            String viewerTokenFile, String operatorTokenFile) {
        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 7780;

        public Http(String host, Integer port) {
            this(host, port, null, null, null, null);
        }

        public Http {
            host = host != null ? host : DEFAULT_HOST;
            port = port != null ? port : DEFAULT_PORT;
            requirePort(port, "http.port");
            viewerTokens = viewerTokens != null ? List.copyOf(viewerTokens) : List.of();
            operatorTokens = operatorTokens != null ? List.copyOf(operatorTokens) : List.of();
            for (String t : concat(viewerTokens, operatorTokens)) {
                if (t == null || t.length() < 16) {
                    throw new IllegalArgumentException("http.viewerTokens/operatorTokens: every token must be at "
                            + "least 16 characters");
                }
            }
            boolean open = viewerTokens.isEmpty() && operatorTokens.isEmpty() && viewerTokenFile == null
                    && operatorTokenFile == null;
            if (open && !host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("::1")) {
                throw new IllegalArgumentException("http: listening on " + host + " needs http.viewerTokens and "
                        + "http.operatorTokens (or the token files); an API without tokens may only listen on loopback");
            }
        }

        private static List<String> concat(List<String> a, List<String> b) {
            List<String> all = new java.util.ArrayList<>(a);
            all.addAll(b);
            return all;
        }

        /** Never print tokens. */
        @Override
        public String toString() {
            return "Http[" + host + ":" + port + ", viewerTokens=" + viewerTokens.size() + ", operatorTokens="
                    + operatorTokens.size() + "]";
        }
    }

    /**
     * How the coordinator acts on pools: what counts as a failed boot, when an offering is backed off, when a
     * Lost node's instance is replaced.
     */
    public record Scaling(Integer bootTimeoutSeconds, Integer offeringBackoffSeconds, Integer evictionsToBackOff,
            Integer evictionWindowSeconds, Integer lostReplaceSeconds) {
        public Scaling {
            bootTimeoutSeconds = bootTimeoutSeconds != null ? bootTimeoutSeconds : 600;
            offeringBackoffSeconds = offeringBackoffSeconds != null ? offeringBackoffSeconds : 180;
            evictionsToBackOff = evictionsToBackOff != null ? evictionsToBackOff : 3;
            evictionWindowSeconds = evictionWindowSeconds != null ? evictionWindowSeconds : 600;
            lostReplaceSeconds = lostReplaceSeconds != null ? lostReplaceSeconds : 300;
            if (bootTimeoutSeconds < 10 || offeringBackoffSeconds < 1 || evictionsToBackOff < 1
                    || evictionWindowSeconds < 1 || lostReplaceSeconds < 1) {
                throw new IllegalArgumentException("scaling: bootTimeoutSeconds >= 10; offeringBackoffSeconds, "
                        + "evictionsToBackOff, evictionWindowSeconds and lostReplaceSeconds >= 1");
            }
        }
    }

    /**
     * Azure Resource Manager, for pools whose scale set is on Azure. Tokens come from DefaultAzureCredential
     * (the head node's managed identity in production).
     *
     * @param instanceListMillis how often each scale set's instances are listed (a high-cost GET: Compute
     *     allows about 10 a minute per scale set, specs/azure.md §2.10)
     */
    public record Azure(String armEndpoint, String apiVersion, Integer instanceListMillis) {
        public Azure {
            armEndpoint = armEndpoint != null ? armEndpoint : "https://management.azure.com";
            apiVersion = apiVersion != null ? apiVersion : "2025-04-01";
            instanceListMillis = instanceListMillis != null ? instanceListMillis : 10_000;
            if (!armEndpoint.startsWith("https://") && !armEndpoint.startsWith("http://127.")
                    && !armEndpoint.startsWith("http://localhost")) {
                throw new IllegalArgumentException("azure.armEndpoint must be https:// (plain http only on loopback, "
                        + "for tests), got " + armEndpoint);
            }
            if (instanceListMillis < 100) {
                throw new IllegalArgumentException("azure.instanceListMillis must be >= 100, got " + instanceListMillis);
            }
        }
    }

    /**
     * The scale set behind a pool. {@code provider: azure} is a VM Scale Set (Uniform or Flexible);
     * {@code provider: local} starts agent processes on this machine (the demo).
     */
    public record ScaleSet(String provider, String subscription, String resourceGroup, String name,
            String orchestration) {
        public ScaleSet {
            provider = provider != null ? provider.toLowerCase(java.util.Locale.ROOT) : "azure";
            subscription = subscription != null ? subscription : "";
            resourceGroup = resourceGroup != null ? resourceGroup : "";
            name = name != null ? name : "";
            orchestration = orchestration != null ? orchestration.toLowerCase(java.util.Locale.ROOT) : "uniform";
            if (!provider.equals("azure") && !provider.equals("local")) {
                throw new IllegalArgumentException("scaleSet.provider must be azure or local, got " + provider);
            }
            if (!orchestration.equals("uniform") && !orchestration.equals("flexible")) {
                throw new IllegalArgumentException("scaleSet.orchestration must be uniform or flexible, got "
                        + orchestration);
            }
            if (provider.equals("azure") && (subscription.isEmpty() || resourceGroup.isEmpty() || name.isEmpty())) {
                throw new IllegalArgumentException("scaleSet: provider azure needs subscription, resourceGroup and name");
            }
        }
    }

    /**
     * Where the coordinator keeps what must survive a restart (nodes, evictions, drains, the built-in queue, pool
     * limits and pauses, decisions): an SQLite database in WAL mode.
     *
     * @param path the database file; its directory is created if missing. {@code :memory:} keeps nothing (tests)
     * @param synchronous NORMAL (default: every commit survives a crash of the coordinator process) or FULL (also
     *     a power loss of the head node, at an fsync per commit)
     */
    public record Store(String path, String synchronous) {
        public static final String DEFAULT_PATH = "/var/lib/drover/coordinator.db";
        public static final String MEMORY = ":memory:";

        public Store {
            path = path != null ? path : DEFAULT_PATH;
            synchronous = synchronous != null ? synchronous.toUpperCase(java.util.Locale.ROOT) : "NORMAL";
            if (path.isBlank()) {
                throw new IllegalArgumentException("store.path must name a file (default " + DEFAULT_PATH + ")");
            }
            if (!synchronous.equals("NORMAL") && !synchronous.equals("FULL")) {
                throw new IllegalArgumentException("store.synchronous must be NORMAL or FULL, got " + synchronous);
            }
        }

        public static Store memory() {
            return new Store(MEMORY, null);
        }

        public static Store at(java.nio.file.Path file) {
            return new Store(file.toString(), null);
        }
    }

    /** Heartbeat timing told to agents, and when silence becomes Suspect and Lost. */
    public record Liveness(Integer heartbeatIntervalMillis, Integer jitterPercent, Integer suspectAfterMissed,
            Integer lostAfterMillis) {
        public static final int DEFAULT_HEARTBEAT_INTERVAL_MILLIS = 5000;
        public static final int DEFAULT_JITTER_PERCENT = 20;
        public static final int DEFAULT_SUSPECT_AFTER_MISSED = 3;
        public static final int DEFAULT_LOST_AFTER_MILLIS = 60_000;

        public Liveness {
            heartbeatIntervalMillis = heartbeatIntervalMillis != null ? heartbeatIntervalMillis
                    : DEFAULT_HEARTBEAT_INTERVAL_MILLIS;
            jitterPercent = jitterPercent != null ? jitterPercent : DEFAULT_JITTER_PERCENT;
            suspectAfterMissed = suspectAfterMissed != null ? suspectAfterMissed : DEFAULT_SUSPECT_AFTER_MISSED;
            lostAfterMillis = lostAfterMillis != null ? lostAfterMillis : DEFAULT_LOST_AFTER_MILLIS;
            if (heartbeatIntervalMillis < 100 || heartbeatIntervalMillis > 3_600_000) {
                throw new IllegalArgumentException("liveness.heartbeatIntervalMillis must be 100..3600000, got "
                        + heartbeatIntervalMillis);
            }
            if (jitterPercent < 0 || jitterPercent > 50) {
                throw new IllegalArgumentException("liveness.jitterPercent must be 0..50, got " + jitterPercent);
            }
            settings(heartbeatIntervalMillis, jitterPercent, suspectAfterMissed, lostAfterMillis); // validates
        }

        public LivenessSettings settings() {
            return settings(heartbeatIntervalMillis, jitterPercent, suspectAfterMissed, lostAfterMillis);
        }

        private static LivenessSettings settings(int interval, int jitter, int missed, int lostAfter) {
            return new LivenessSettings(Duration.ofMillis(interval), jitter, missed, Duration.ofMillis(lostAfter));
        }
    }

    /**
     * Secrets an agent may present in its first Hello, exchanged there for a per-node credential (SECURITY.md,
     * "Node identity"); several may be valid at once so they can be rotated.
     *
     * @param tokens farm-wide tokens: any pool, no expiry
     * @param poolTokens tokens that enrol only into one pool, until they expire
     * @param maxUnpooledNodes most enrolled nodes naming no configured pool kept at once (more are refused; such
     *     nodes are forgotten, credential and all, once away for {@code unpooledForgetMinutes})
     * @param attestation when set, a first Hello for a pool with an Azure scale set must carry the VM's IMDS
     *     attested document, checked against this trust root and the pool's scale set
     */
    public record Enrolment(List<String> tokens, String tokenFile, List<PoolToken> poolTokens,
            Integer maxUnpooledNodes, Integer unpooledForgetMinutes, Attestation attestation) {
        public static final int DEFAULT_MAX_UNPOOLED_NODES = 20_000;
        public static final int DEFAULT_UNPOOLED_FORGET_MINUTES = 10;

        public Enrolment(List<String> tokens, String tokenFile) {
            this(tokens, tokenFile, null, null, null, null);
        }

        public Enrolment {
            tokens = tokens != null ? List.copyOf(tokens) : List.of();
            poolTokens = poolTokens != null ? List.copyOf(poolTokens) : List.of();
            maxUnpooledNodes = maxUnpooledNodes != null ? maxUnpooledNodes : DEFAULT_MAX_UNPOOLED_NODES;
            unpooledForgetMinutes = unpooledForgetMinutes != null ? unpooledForgetMinutes
                    : DEFAULT_UNPOOLED_FORGET_MINUTES;
            if (!tokens.isEmpty() && tokenFile != null) {
                throw new IllegalArgumentException("enrolment: set at most one of enrolment.tokens and "
                        + "enrolment.tokenFile");
            }
            if (tokens.isEmpty() && tokenFile == null && poolTokens.isEmpty()) {
                throw new IllegalArgumentException("enrolment: set enrolment.tokens, enrolment.tokenFile or "
                        + "enrolment.poolTokens");
            }
            for (String t : tokens) {
                if (t == null || t.length() < 16) {
                    throw new IllegalArgumentException("enrolment.tokens: every token must be at least 16 characters");
                }
            }
            if (maxUnpooledNodes < 0 || unpooledForgetMinutes < 1) {
                throw new IllegalArgumentException("enrolment: maxUnpooledNodes must be >= 0 and "
                        + "unpooledForgetMinutes >= 1, got " + maxUnpooledNodes + " and " + unpooledForgetMinutes);
            }
        }

        /** Never print tokens. */
        @Override
        public String toString() {
            return "Enrolment[tokens=" + tokens.size() + ", tokenFile=" + tokenFile + ", poolTokens="
                    + poolTokens.size() + ", maxUnpooledNodes=" + maxUnpooledNodes + ", attestation=" + attestation
                    + "]";
        }
    }

    /**
     * An enrolment token for one pool (an off-Azure rack, a test bench), valid until {@code expires}.
     *
     * @param expires ISO-8601 instant, e.g. {@code 2026-12-31T00:00:00Z}
     */
    public record PoolToken(String pool, String token, String tokenFile, String expires) {
        public PoolToken {
            if (pool == null || pool.isBlank()) {
                throw new IllegalArgumentException("enrolment.poolTokens[].pool is required");
            }
            String at = "enrolment.poolTokens[" + pool + "]";
            if ((token == null) == (tokenFile == null)) {
                throw new IllegalArgumentException(at + ": set exactly one of token and tokenFile");
            }
            if (token != null && token.length() < 16) {
                throw new IllegalArgumentException(at + ".token must be at least 16 characters");
            }
            if (expires == null) {
                throw new IllegalArgumentException(at + ".expires is required (ISO-8601, e.g. 2026-12-31T00:00:00Z)");
            }
            try {
                java.time.Instant.parse(expires);
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException(at + ".expires must be an ISO-8601 instant such as "
                        + "2026-12-31T00:00:00Z, got " + expires);
            }
        }

        public java.time.Instant expiresAt() {
            return java.time.Instant.parse(expires);
        }

        /** Never print the token. */
        @Override
        public String toString() {
            return "PoolToken[pool=" + pool + ", tokenFile=" + tokenFile + ", expires=" + expires + "]";
        }
    }

    /**
     * Checking Azure nodes' IMDS attested documents (SECURITY.md, "Node identity").
     *
     * @param trustRootFile PEM certificates: the root(s) the document's signer must chain to (Microsoft's, in
     *     production) and any intermediates
     * @param maxAgeSeconds how old a document's {@code createdOn} may be
     */
    public record Attestation(String trustRootFile, Integer maxAgeSeconds) {
        public Attestation {
            if (trustRootFile == null || trustRootFile.isBlank()) {
                throw new IllegalArgumentException("enrolment.attestation.trustRootFile is required");
            }
            maxAgeSeconds = maxAgeSeconds != null ? maxAgeSeconds : 300;
            if (maxAgeSeconds < 10) {
                throw new IllegalArgumentException("enrolment.attestation.maxAgeSeconds must be >= 10, got "
                        + maxAgeSeconds);
            }
        }
    }

    /** The Tractor engine whose queue drives scaling (specs/tractor-and-cyclecloud.md §1). */
    public record Tractor(String host, Integer port, String user, Integer pollMillis, Integer timeoutMillis,
            Map<String, String> licenceLimits, Integer limitsPollSeconds, String passwordFile,
            Integer bladeListSeconds) {
        public static final String DEFAULT_HOST = "tractor-engine";
        public static final int DEFAULT_PORT = 80;

        public Tractor(String host, Integer port, String user, Integer pollMillis, Integer timeoutMillis) {
            this(host, port, user, pollMillis, timeoutMillis, null, null, null, null);
        }

        public Tractor(String host, Integer port, String user, Integer pollMillis, Integer timeoutMillis,
                Map<String, String> licenceLimits, Integer limitsPollSeconds) {
            this(host, port, user, pollMillis, timeoutMillis, licenceLimits, limitsPollSeconds, null, null);
        }

        /**
         * @param host the engine; unset: the host of {@code TRACTOR_ENGINE} (host:port, as Pixar's tools read it,
         *     specs/tractor-and-cyclecloud.md §1.1), else {@code tractor-engine}
         * @param port unset: the port of {@code TRACTOR_ENGINE}, else 80
         * @param licenceLimits service key → the Tractor limit (limits.config) that caps how many of its tasks can
         *     run; the limit's SiteMax then caps the key's demand, as a node without a licence renders nothing
         * @param limitsPollSeconds how often limits are read ({@code queue?q=limits} is expensive for the engine)
         * @param passwordFile the Tractor password of {@code user} on sites with passwords; without it the
         *     {@code TRACTOR_PASSWORD} environment variable, as Pixar's client reads it (§1.2)
         * @param bladeListSeconds how often the blade list is read for demand (at most; §1.3 {@code q=blades})
         */
        public Tractor {
            licenceLimits = licenceLimits != null ? Map.copyOf(licenceLimits) : Map.of();
            limitsPollSeconds = limitsPollSeconds != null ? limitsPollSeconds : 60;
            if (limitsPollSeconds < 5) {
                throw new IllegalArgumentException("tractor.limitsPollSeconds must be >= 5, got " + limitsPollSeconds);
            }
            String[] engine = engineFromEnvironment(System.getenv("TRACTOR_ENGINE"));
            host = host != null ? host : engine[0] != null ? engine[0] : DEFAULT_HOST;
            port = port != null ? port : engine[1] != null ? Integer.valueOf(engine[1]) : DEFAULT_PORT;
            user = user != null ? user : "drover";
            pollMillis = pollMillis != null ? pollMillis : 1000;
            timeoutMillis = timeoutMillis != null ? timeoutMillis : 5000;
            bladeListSeconds = bladeListSeconds != null ? bladeListSeconds : 10;
            requirePort(port, "tractor.port");
            if (pollMillis < 100 || timeoutMillis < 100) {
                throw new IllegalArgumentException("tractor.pollMillis and tractor.timeoutMillis must be >= 100");
            }
            if (bladeListSeconds < 1) {
                throw new IllegalArgumentException("tractor.bladeListSeconds must be >= 1, got " + bladeListSeconds);
            }
        }

        /**
         * {@code TRACTOR_ENGINE} as {host, port}: "host", "host:port" or "[v6]:port"; nulls for what is not given.
         *
         * @throws IllegalArgumentException for a port that is not a number
         */
        static String[] engineFromEnvironment(String value) {
            if (value == null || value.isBlank()) {
                return new String[2];
            }
            String v = value.trim();
            int colon = v.startsWith("[") ? v.indexOf("]:") + 1 : v.lastIndexOf(':');
            if (colon <= 0 || v.indexOf(':') != colon && !v.startsWith("[")) {
                return new String[] {v, null};
            }
            String port = v.substring(colon + 1);
            if (!port.matches("\\d{1,5}")) {
                throw new IllegalArgumentException("TRACTOR_ENGINE: port must be a number, got " + value);
            }
            String host = v.substring(0, colon);
            return new String[] {host.startsWith("[") ? host.substring(1, host.length() - 1) : host, port};
        }
    }

    /**
     * One pool: a scale set and what it serves. Prices are per node-hour; money caps per hour.
     *
     * @param priority spot or regular
     */
    public record Pool(String name, String vmSize, String zone, String priority, Integer slotsPerNode,
            List<String> serviceKeys, Integer minNodes, Integer maxNodes, Double pricePerNodeHour,
            Double maxCostPerHour, String fallbackPool, Integer idleWindowSeconds, Integer disruptionBudgetPercent,
            ScaleSet scaleSet) {

        /** A pool without a scale set: its decisions are planned and shown, not carried out. */
        public Pool(String name, String vmSize, String zone, String priority, Integer slotsPerNode,
                List<String> serviceKeys, Integer minNodes, Integer maxNodes, Double pricePerNodeHour,
                Double maxCostPerHour, String fallbackPool, Integer idleWindowSeconds,
                Integer disruptionBudgetPercent) {
            this(name, vmSize, zone, priority, slotsPerNode, serviceKeys, minNodes, maxNodes, pricePerNodeHour,
                    maxCostPerHour, fallbackPool, idleWindowSeconds, disruptionBudgetPercent, null);
        }

        public Pool {
            if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
                throw new IllegalArgumentException("pools[].name must be 1-63 letters, digits, '.', '_' or '-', got "
                        + name);
            }
            String at = "pools[" + name + "]";
            vmSize = vmSize != null ? vmSize : "";
            zone = zone != null ? zone : "";
            priority = priority != null ? priority.toLowerCase(java.util.Locale.ROOT) : "spot";
            slotsPerNode = slotsPerNode != null ? slotsPerNode : 1;
            serviceKeys = serviceKeys != null ? List.copyOf(serviceKeys) : List.of();
            minNodes = minNodes != null ? minNodes : 0;
            maxNodes = maxNodes != null ? maxNodes : 10;
            pricePerNodeHour = pricePerNodeHour != null ? pricePerNodeHour : 0.0;
            maxCostPerHour = maxCostPerHour != null ? maxCostPerHour : Double.POSITIVE_INFINITY;
            idleWindowSeconds = idleWindowSeconds != null ? idleWindowSeconds : 300;
            disruptionBudgetPercent = disruptionBudgetPercent != null ? disruptionBudgetPercent : 10;
            if (!priority.equals("spot") && !priority.equals("regular")) {
                throw new IllegalArgumentException(at + ".priority must be spot or regular, got " + priority);
            }
            if (serviceKeys.isEmpty()) {
                throw new IllegalArgumentException(at + ".serviceKeys must name at least one Tractor service key");
            }
            if (slotsPerNode < 1 || minNodes < 0 || maxNodes < minNodes) {
                throw new IllegalArgumentException(at + ": need slotsPerNode >= 1 and 0 <= minNodes <= maxNodes");
            }
            if (idleWindowSeconds < 0 || disruptionBudgetPercent < 1 || disruptionBudgetPercent > 100) {
                throw new IllegalArgumentException(at + ": idleWindowSeconds >= 0, disruptionBudgetPercent 1..100");
            }
        }

        public dev.drover.coordinator.scaling.PoolSpec spec() {
            return new dev.drover.coordinator.scaling.PoolSpec(name, vmSize, zone, priority.equals("spot"),
                    slotsPerNode, java.util.Set.copyOf(serviceKeys), minNodes, maxNodes, pricePerNodeHour,
                    maxCostPerHour, java.util.Optional.ofNullable(fallbackPool), Duration.ofSeconds(idleWindowSeconds),
                    disruptionBudgetPercent);
        }
    }

    private static void requirePort(int port, String field) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(field + " must be 0..65535 (0 = any free port), got " + port);
        }
    }
}
