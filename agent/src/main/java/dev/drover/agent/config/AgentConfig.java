package dev.drover.agent.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything the agent reads from {@code /etc/drover/agent.yaml} (see {@code agent.example.yaml} for every key
 * with its default). Records validate themselves; the loader adds the file name to any error.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record AgentConfig(Coordinator coordinator, Node node, Imds imds, List<MountConfig> mounts,
        Heartbeat heartbeat, Reconnect reconnect, Outbox outbox, String scratchDir, String localSocket, LogConfig logs,
        String stateDir, Tasks tasks, Helper helper) {
    public static final String DEFAULT_LOCAL_SOCKET = "/run/drover/agent.sock";
    /** Outbox journal and task ledger: what must survive an agent restart (systemd's StateDirectory=drover). */
    public static final String DEFAULT_STATE_DIR = "/var/lib/drover/agent";

    public AgentConfig {
        coordinator = coordinator != null ? coordinator : new Coordinator(null, null, null, null);
        node = node != null ? node : new Node(null, null, null, null);
        imds = imds != null ? imds : new Imds(null, null, null, null, null, null, null);
        mounts = mounts != null ? List.copyOf(mounts) : List.of();
        if (mounts.size() > dev.drover.protocol.ProtocolLimits.MAX_MOUNTS) {
            throw new IllegalArgumentException("mounts: at most " + dev.drover.protocol.ProtocolLimits.MAX_MOUNTS
                    + " mounts, got " + mounts.size());
        }
        if (mounts.stream().map(MountConfig::mountPoint).distinct().count() != mounts.size()) {
            throw new IllegalArgumentException("mounts: two mounts share a mountPoint");
        }
        if (mounts.stream().map(MountConfig::name).distinct().count() != mounts.size()) {
            // the root helper mounts by name: a name must mean one mount
            throw new IllegalArgumentException("mounts: two mounts share a name");
        }
        heartbeat = heartbeat != null ? heartbeat : new Heartbeat(null, null);
        reconnect = reconnect != null ? reconnect : new Reconnect(null, null);
        outbox = outbox != null ? outbox : new Outbox(null);
        scratchDir = scratchDir != null ? scratchDir : System.getProperty("java.io.tmpdir");
        localSocket = localSocket != null ? localSocket : DEFAULT_LOCAL_SOCKET;
        if (!localSocket.isEmpty() && !localSocket.startsWith("/")) {
            throw new IllegalArgumentException("localSocket must be an absolute path (or \"\" for none), got "
                    + localSocket);
        }
        stateDir = stateDir != null ? stateDir : DEFAULT_STATE_DIR;
        tasks = tasks != null ? tasks : new Tasks(null);
        helper = helper != null ? helper : new Helper(null, null);
        if (stateDir.isBlank()) {
            throw new IllegalArgumentException("stateDir must not be blank");
        }
    }

    /** The configuration before {@code helper} existed: the agent mounts and starts tasks itself. */
    public AgentConfig(Coordinator coordinator, Node node, Imds imds, List<MountConfig> mounts, Heartbeat heartbeat,
            Reconnect reconnect, Outbox outbox, String scratchDir, String localSocket, LogConfig logs,
            String stateDir, Tasks tasks) {
        this(coordinator, node, imds, mounts, heartbeat, reconnect, outbox, scratchDir, localSocket, logs, stateDir,
                tasks, null);
    }

    /** The configuration before {@code tasks} existed: built-in queue tasks run as the agent's user. */
    public AgentConfig(Coordinator coordinator, Node node, Imds imds, List<MountConfig> mounts, Heartbeat heartbeat,
            Reconnect reconnect, Outbox outbox, String scratchDir, String localSocket, LogConfig logs,
            String stateDir) {
        this(coordinator, node, imds, mounts, heartbeat, reconnect, outbox, scratchDir, localSocket, logs, stateDir,
                null);
    }

    /** The configuration before {@code stateDir} existed; the state directory takes its default. */
    public AgentConfig(Coordinator coordinator, Node node, Imds imds, List<MountConfig> mounts, Heartbeat heartbeat,
            Reconnect reconnect, Outbox outbox, String scratchDir, String localSocket, LogConfig logs) {
        this(coordinator, node, imds, mounts, heartbeat, reconnect, outbox, scratchDir, localSocket, logs, null);
    }

    public AgentConfig withStateDir(String dir) {
        return new AgentConfig(coordinator, node, imds, mounts, heartbeat, reconnect, outbox, scratchDir, localSocket,
                logs, dir, tasks, helper);
    }

    public Path statePath() {
        return Path.of(stateDir);
    }

    public static AgentConfig defaults() {
        return new AgentConfig(null, null, null, null, null, null, null, null, null, null, null);
    }

    public Path scratchPath() {
        return Path.of(scratchDir);
    }

    /** Where the coordinator's agent gateway listens and how this agent proves it may join. */
    public record Coordinator(String host, Integer port, String enrolmentToken, String enrolmentTokenFile, Tls tls) {
        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 7700;

        /** Without TLS settings: such an agent refuses to connect until a pin (or plaintext) is configured. */
        public Coordinator(String host, Integer port, String enrolmentToken, String enrolmentTokenFile) {
            this(host, port, enrolmentToken, enrolmentTokenFile, null);
        }

        public Coordinator {
            tls = tls != null ? tls : new Tls(null, null, null, null, null);
            host = host != null ? host : DEFAULT_HOST;
            port = port != null ? port : DEFAULT_PORT;
            if (host.isBlank()) {
                throw new IllegalArgumentException("coordinator.host must not be blank");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("coordinator.port must be 1..65535, got " + port);
            }
            if (enrolmentToken != null && enrolmentTokenFile != null) {
                throw new IllegalArgumentException(
                        "coordinator.enrolmentToken and coordinator.enrolmentTokenFile are exclusive; set one");
            }
        }

        /** Never print the token. */
        @Override
        public String toString() {
            return "Coordinator[host=" + host + ", port=" + port + ", enrolmentTokenFile=" + enrolmentTokenFile
                    + ", tls=" + tls + "]";
        }
    }

    /**
     * How the agent knows it talks to the real coordinator before it sends the enrolment token: TLS 1.3, the
     * coordinator's certificate chain ending in a pinned CA, and its name matching {@code coordinator.host}
     * (or {@code serverName}). Pin the CA by file or by the SHA-256 fingerprint that {@code drover-coordinator
     * tls fingerprint} prints.
     *
     * @param caSha256 hex, colons and case ignored; {@code caSha256File} holds the same in a file (cloud-init)
     * @param insecurePlaintext no TLS: the token goes out in clear to whoever answers. Local development only.
     */
    public record Tls(String caFile, String caSha256, String caSha256File, String serverName,
            Boolean insecurePlaintext) {
        public Tls {
            insecurePlaintext = insecurePlaintext != null ? insecurePlaintext : Boolean.FALSE;
            int pins = (caFile != null ? 1 : 0) + (caSha256 != null ? 1 : 0) + (caSha256File != null ? 1 : 0);
            if (pins > 1) {
                throw new IllegalArgumentException("coordinator.tls: set one of caFile, caSha256 and caSha256File");
            }
            if (insecurePlaintext && pins > 0) {
                throw new IllegalArgumentException("coordinator.tls: insecurePlaintext contradicts a pinned CA; "
                        + "remove one");
            }
            if (caSha256 != null) {
                caSha256 = normaliseFingerprint(caSha256, "coordinator.tls.caSha256");
            }
            if (serverName != null && (serverName.isBlank() || serverName.length() > 253)) {
                throw new IllegalArgumentException("coordinator.tls.serverName must be 1..253 characters");
            }
        }

        public boolean pinned() {
            return caFile != null || caSha256 != null || caSha256File != null;
        }

        /** 64 lowercase hex digits, from any of the usual spellings (colons, spaces, upper case). */
        public static String normaliseFingerprint(String text, String field) {
            String hex = text.replaceAll("[\\s:]", "").toLowerCase(java.util.Locale.ROOT);
            if (hex.startsWith("sha256=")) {
                hex = hex.substring(7);
            }
            if (!hex.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException(field + " must be a SHA-256 fingerprint (64 hex digits), got "
                        + text.length() + " characters");
            }
            return hex;
        }
    }

    /**
     * The node as Drover should know it when it is not an Azure VM (on Azure, IMDS supplies the identity).
     *
     * @param id node id; defaults to this machine's host name
     */
    public record Node(String id, String pool, Integer slots, Integer gpus) {
        public static final String DEFAULT_POOL = "default";
        public static final int DEFAULT_SLOTS = 1;

        private static void wireText(String value, String field) {
            if (value != null) {
                dev.drover.protocol.WireText.problem(value, dev.drover.protocol.ProtocolLimits.MAX_SHORT_STRING)
                        .ifPresent(p -> {
                            throw new IllegalArgumentException(field + ": " + p);
                        });
            }
        }

        public Node {
            pool = pool != null ? pool : DEFAULT_POOL;
            slots = slots != null ? slots : DEFAULT_SLOTS;
            gpus = gpus != null ? gpus : 0;
            if (id != null && (id.isBlank() || id.length() > 200)) {
                throw new IllegalArgumentException("node.id must be 1..200 characters");
            }
            // both travel in every Hello as wire strings: refused here rather than by the encoder at each connect
            wireText(id, "node.id");
            wireText(pool, "node.pool");
            if (slots < 1 || slots > 1024) {
                throw new IllegalArgumentException("node.slots must be 1..1024, got " + slots);
            }
            if (gpus < 0 || gpus > 64) {
                throw new IllegalArgumentException("node.gpus must be 0..64, got " + gpus);
            }
        }
    }

    /**
     * Azure Instance Metadata Service: identity at start, Scheduled Events while running (specs/azure.md §1).
     *
     * @param enabled false only off Azure; the identity then comes from {@code node}
     * @param approveTerminate approve a Terminate naming only this VM once nothing runs here
     * @param approvePreempt approve a Preempt too (it only brings the eviction closer; off by default)
     */
    public record Imds(Boolean enabled, String baseUrl, Integer pollMillis, Integer timeoutMillis,
            Boolean approveTerminate, Boolean approvePreempt, Integer terminateMarginSeconds) {
        public static final String DEFAULT_BASE_URL = "http://169.254.169.254";
        public static final int DEFAULT_POLL_MILLIS = 1000;
        public static final int DEFAULT_TIMEOUT_MILLIS = 2000;
        /** A Terminate lets running tasks finish when their ETA ends this long before NotBefore (issue 14). */
        public static final int DEFAULT_TERMINATE_MARGIN_SECONDS = 30;

        public Imds {
            enabled = enabled != null ? enabled : Boolean.TRUE;
            baseUrl = baseUrl != null ? baseUrl : DEFAULT_BASE_URL;
            pollMillis = pollMillis != null ? pollMillis : DEFAULT_POLL_MILLIS;
            timeoutMillis = timeoutMillis != null ? timeoutMillis : DEFAULT_TIMEOUT_MILLIS;
            approveTerminate = approveTerminate != null ? approveTerminate : Boolean.TRUE;
            approvePreempt = approvePreempt != null ? approvePreempt : Boolean.FALSE;
            terminateMarginSeconds = terminateMarginSeconds != null ? terminateMarginSeconds
                    : DEFAULT_TERMINATE_MARGIN_SECONDS;
            if (terminateMarginSeconds < 0 || terminateMarginSeconds > 3600) {
                throw new IllegalArgumentException("imds.terminateMarginSeconds must be 0..3600, got "
                        + terminateMarginSeconds);
            }
            if (!baseUrl.startsWith("http://")) {
                throw new IllegalArgumentException("imds.baseUrl must be an http:// URL, got '" + baseUrl + "'");
            }
            // IMDS allows 5 requests/s per VM; polling faster than 4/s leaves no room for approvals.
            if (pollMillis < 250 || pollMillis > 60_000) {
                throw new IllegalArgumentException("imds.pollMillis must be 250..60000, got " + pollMillis);
            }
            if (timeoutMillis < 100 || timeoutMillis > 30_000) {
                throw new IllegalArgumentException("imds.timeoutMillis must be 100..30000, got " + timeoutMillis);
            }
        }
    }

    /**
     * Heartbeat timing before the coordinator's Welcome says otherwise; also sets how long the agent waits
     * for a silent coordinator (two intervals, then a Ping, then two more).
     */
    public record Heartbeat(Integer intervalMillis, Integer jitterPercent) {
        public static final int DEFAULT_INTERVAL_MILLIS = 5000;
        public static final int DEFAULT_JITTER_PERCENT = 20;

        public Heartbeat {
            intervalMillis = intervalMillis != null ? intervalMillis : DEFAULT_INTERVAL_MILLIS;
            jitterPercent = jitterPercent != null ? jitterPercent : DEFAULT_JITTER_PERCENT;
            if (intervalMillis < 100 || intervalMillis > 3_600_000) {
                throw new IllegalArgumentException("heartbeat.intervalMillis must be 100..3600000, got "
                        + intervalMillis);
            }
            if (jitterPercent < 0 || jitterPercent > 50) {
                throw new IllegalArgumentException("heartbeat.jitterPercent must be 0..50, got " + jitterPercent);
            }
        }
    }

    /** Capped exponential backoff with full jitter between connection attempts. */
    public record Reconnect(Integer initialDelayMillis, Integer maxDelayMillis) {
        public static final int DEFAULT_INITIAL_DELAY_MILLIS = 500;
        public static final int DEFAULT_MAX_DELAY_MILLIS = 8_000;
        /**
         * The cap after an attempt refused at once (the coordinator's host answered, nothing listens: it is
         * restarting). Lower than the cap so the fleet is back within ~4 s of the coordinator listening again;
         * 20,000 agents then arrive at up to 5,000 Hellos a second, spread by full jitter (PROTOCOL.md §1).
         */
        public static final int REFUSED_MAX_DELAY_MILLIS = 4_000;

        public Reconnect {
            initialDelayMillis = initialDelayMillis != null ? initialDelayMillis : DEFAULT_INITIAL_DELAY_MILLIS;
            maxDelayMillis = maxDelayMillis != null ? maxDelayMillis : DEFAULT_MAX_DELAY_MILLIS;
            if (initialDelayMillis < 10) {
                throw new IllegalArgumentException("reconnect.initialDelayMillis must be >= 10, got "
                        + initialDelayMillis);
            }
            if (maxDelayMillis < initialDelayMillis) {
                throw new IllegalArgumentException("reconnect.maxDelayMillis must be >= reconnect.initialDelayMillis");
            }
        }

        /** The backoff cap after a refused attempt: {@link #REFUSED_MAX_DELAY_MILLIS}, never above the cap. */
        public int refusedMaxDelayMillis() {
            return Math.max(initialDelayMillis, Math.min(maxDelayMillis, REFUSED_MAX_DELAY_MILLIS));
        }
    }

    /**
     * Built-in queue tasks (RunTask).
     *
     * @param runAs the unprivileged user they run as (setpriv: its uid, group and supplementary groups); empty
     *     runs them as the agent's own user. Never root: a task must not get the agent's privileges.
     */
    public record Tasks(String runAs) {
        public Tasks {
            runAs = runAs != null ? runAs.strip() : "";
            if (runAs.equals("root") || runAs.equals("0")) {
                throw new IllegalArgumentException("tasks.runAs must be an unprivileged user, got " + runAs);
            }
            if (!runAs.matches("[a-z_][a-z0-9_-]{0,31}|")) {
                throw new IllegalArgumentException("tasks.runAs must be a user name, got " + runAs);
            }
        }
    }

    /**
     * The root helper that mounts and starts tasks for an agent that runs as an unprivileged user (SECURITY.md,
     * "On the node"). The helper reads this same file: it serves only {@code agentUser}, mounts only what
     * {@code mounts} declares and starts tasks only as {@code tasks.runAs}.
     *
     * @param socket the helper's Unix socket; "" (the default): no helper, the agent mounts and switches users
     *     itself and must then run as root
     * @param agentUser the only user the helper serves (name or uid); never root
     */
    public record Helper(String socket, String agentUser) {
        public static final String DEFAULT_AGENT_USER = "drover";
        /** What the shipped units use: systemd's RuntimeDirectory=drover-helper of the helper's unit. */
        public static final String SHIPPED_SOCKET = "/run/drover-helper/helper.sock";

        public Helper {
            socket = socket != null ? socket.strip() : "";
            agentUser = agentUser != null ? agentUser.strip() : DEFAULT_AGENT_USER;
            if (!socket.isEmpty() && (!socket.startsWith("/") || socket.endsWith("/"))) {
                throw new IllegalArgumentException("helper.socket must be an absolute file path (or \"\" for no "
                        + "helper), got " + socket);
            }
            if (socket.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 100) {
                throw new IllegalArgumentException("helper.socket must be at most 100 bytes (a Unix socket path), "
                        + "got " + socket.length() + " characters");
            }
            if (agentUser.equals("root") || agentUser.equals("0")) {
                throw new IllegalArgumentException("helper.agentUser must be an unprivileged user, got " + agentUser);
            }
            if (!agentUser.matches("[a-z_][a-z0-9_-]{0,31}|[1-9][0-9]{0,9}")) {
                throw new IllegalArgumentException("helper.agentUser must be a user name or uid, got " + agentUser);
            }
        }

        public boolean enabled() {
            return !socket.isEmpty();
        }
    }

    /** How many unacknowledged reliable events the agent keeps while the coordinator is unreachable. */
    public record Outbox(Integer capacity) {
        public static final int DEFAULT_CAPACITY = 10_000;

        public Outbox {
            capacity = capacity != null ? capacity : DEFAULT_CAPACITY;
            if (capacity < 16 || capacity > 1_000_000) {
                throw new IllegalArgumentException("outbox.capacity must be 16..1000000, got " + capacity);
            }
        }
    }
}
