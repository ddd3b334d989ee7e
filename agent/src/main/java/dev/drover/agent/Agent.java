package dev.drover.agent;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.health.HostSampler;
import dev.drover.agent.identity.ConfiguredIdentity;
import dev.drover.agent.identity.HostAddresses;
import dev.drover.agent.imds.ApprovalPolicy;
import dev.drover.agent.imds.ImdsClient;
import dev.drover.agent.imds.ImdsIdentity;
import dev.drover.agent.imds.ScheduledEvent;
import dev.drover.agent.imds.ScheduledEventsPoller;
import dev.drover.agent.imds.TerminateGrace;
import dev.drover.agent.local.LocalTaskServer;
import dev.drover.agent.local.TaskRelay;
import dev.drover.agent.logs.LogUploader;
import dev.drover.agent.outbox.JournalOutbox;
import dev.drover.agent.runtask.TaskLauncher;
import dev.drover.agent.state.StateDirectory;
import dev.drover.protocol.CancelTask;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.agent.mounts.CommandRunner;
import dev.drover.agent.mounts.LocalMounter;
import dev.drover.agent.mounts.MountManager;
import dev.drover.agent.mounts.RpcNullProbe;
import dev.drover.agent.session.AgentCommands;
import dev.drover.agent.session.CoordinatorClient;
import dev.drover.agent.session.SessionMemory;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainMode;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.EvictionEnded;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.EvictionType;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostNames;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.ProtocolVersion;
import dev.drover.protocol.Reliable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent daemon: who this node is, what state it is in, its session with the coordinator, and the
 * Scheduled Events poller whose eviction notices it relays at once.
 */
public final class Agent implements AgentCommands {
    private static final Logger LOGGER = LoggerFactory.getLogger(Agent.class);
    /**
     * Stopping: how long tasks get after TERM before KILL, and how long the coordinator gets to acknowledge
     * the last events. Together well inside systemd's TimeoutStopSec (20 s in drover-agent.service).
     */
    private static final Duration TASK_STOP_GRACE = Duration.ofSeconds(8);
    private static final long ACK_WAIT_MILLIS = 5000;
    private static final Duration HELPER_CONNECT_WAIT = Duration.ofSeconds(30);

    private final AgentConfig config;
    private final NodeIdentity identity;
    private final String enrolmentToken;
    private final StateDirectory stateDir;
    private final JournalOutbox journal;
    private final SessionMemory memory;
    private final HostSampler sampler;
    private final CoordinatorClient client;
    /** Sequence of the EvictionNotice sent for each event id, to know when the coordinator has it. */
    private final Map<String, Long> noticeSeqByEvent = new ConcurrentHashMap<>();
    private final ScheduledEventsPoller poller;
    private final MountManager mounts;
    private final TaskRelay tasks;
    private final LocalTaskServer local;
    private final LogUploader uploader;
    private final TaskLauncher launcher;
    /** The root helper, when the agent runs unprivileged (helper.socket); null: mounts and tasks in-process. */
    private final dev.drover.agent.helper.HelperClient helper;
    private final HostAddresses hostAddresses = HostAddresses.forThisHost();
    private volatile AgentState state = AgentState.IDLE;
    /** Preempt/Terminate events naming this VM now, and the state to return to should they all vanish. */
    private final java.util.Set<String> evictions = ConcurrentHashMap.newKeySet();
    private volatile AgentState stateBeforeEviction = AgentState.IDLE;
    /** Terminate events whose running tasks were let finish, re-checked at every poll (issue 14). */
    private final Map<String, ScheduledEvent> finishing = new ConcurrentHashMap<>();
    /** Node identity (SECURITY.md): the credential the coordinator issued, and an attestation it asked for. */
    private final dev.drover.agent.identity.NodeCredentialFile credentialFile;
    private volatile String credential;
    private final dev.drover.agent.identity.PendingAttestation attestation;

    private Agent(AgentConfig config, NodeIdentity identity, String enrolmentToken, Optional<String> vmName) {
        this.config = config;
        this.identity = identity;
        this.enrolmentToken = enrolmentToken;
        this.stateDir = StateDirectory.open(config.statePath());
        try {
            this.journal = JournalOutbox.open(stateDir.path(), config.outbox().capacity(), Clock.systemUTC());
        } catch (RuntimeException e) {
            stateDir.close();
            throw e;
        }
        this.memory = new SessionMemory(journal);
        this.credentialFile = new dev.drover.agent.identity.NodeCredentialFile(stateDir.path());
        this.credential = credentialFile.load().orElse("");
        this.attestation = new dev.drover.agent.identity.PendingAttestation(config.imds().enabled()
                ? nonce -> imdsClient(config.imds()).attestedDocument(nonce)
                : nonce -> {
                    throw new IllegalStateException("the coordinator wants an IMDS attested document, but imds is "
                            + "disabled in this agent's config (an off-Azure node needs a pool token instead)");
                });
        this.sampler = HostSampler.forThisHost(config.scratchPath());
        this.client = new CoordinatorClient(config, this, memory);
        this.uploader = config.logs() != null ? logUploader(config) : null;
        this.tasks = new TaskRelay(client, this::onIdle, (task, log) -> {
            if (uploader != null) {
                uploader.submit(log, LogUploader.blobName(identity.pool(), task, identity.nodeId()));
            }
        });
        this.local = config.localSocket().isEmpty() ? null
                : new LocalTaskServer(java.nio.file.Path.of(config.localSocket()), tasks);
        this.helper = config.helper().enabled() ? new dev.drover.agent.helper.HelperClient(
                java.nio.file.Path.of(config.helper().socket()), config.reconnect().initialDelayMillis(),
                config.reconnect().maxDelayMillis()) : null;
        dev.drover.agent.runtask.TaskStarter starter = helper != null ? helper
                : new dev.drover.agent.runtask.LocalTaskStarter();
        this.launcher = local == null ? null : new TaskLauncher(stateDir.path(), client::send, journal::isSettled,
                journal.unacknowledged(), tasks, java.nio.file.Path.of(config.localSocket()),
                config.scratchPath().resolve("drover-tasks"), TaskLauncher.droverRunFromThisJar(), System.getenv(),
                secrets(config, enrolmentToken), this::onIdle, config.tasks().runAs(), starter);
        this.mounts = new MountManager(config.mounts(), identity.nodeId(),
                new RpcNullProbe(client.group(), client.channelType()),
                helper != null ? helper : new LocalMounter(new CommandRunner()), () -> !nothingRunning());
        AgentConfig.Imds imds = config.imds();
        this.poller = vmName.map(name -> new ScheduledEventsPoller(imdsClient(imds), name, imds.pollMillis(),
                new EvictionRelay(), new ApprovalPolicy(imds.approveTerminate(), imds.approvePreempt()),
                this::nothingRunning, this::coordinatorKnows, Clock.systemUTC())).orElse(null);
    }

    /** Resolves the identity (from IMDS, retrying until it answers, or from config off Azure) and builds the agent. */
    public static Agent create(AgentConfig config, String enrolmentToken) throws InterruptedException {
        if (!config.imds().enabled()) {
            return new Agent(config, new ConfiguredIdentity(config.node()).resolve(), enrolmentToken, Optional.empty());
        }
        ImdsIdentity source = new ImdsIdentity(imdsClient(config.imds()), config.node().pool());
        NodeIdentity identity = source.resolve();
        return new Agent(config, identity, enrolmentToken, Optional.of(source.metadata().name()));
    }

    /** Values a task must never see in its environment. */
    private static java.util.Set<String> secrets(AgentConfig config, String enrolmentToken) {
        java.util.Set<String> out = new java.util.HashSet<>();
        if (enrolmentToken != null && !enrolmentToken.isEmpty()) {
            out.add(enrolmentToken);
        }
        if (config.logs() != null && config.logs().connectionString() != null) {
            out.add(config.logs().connectionString());
        }
        return out;
    }

    private static LogUploader logUploader(AgentConfig config) {
        try {
            return new LogUploader(config.logs());
        } catch (java.io.IOException e) {
            LOGGER.atError().log("task log upload disabled: cannot use spool " + config.logs().spoolDir() + ": "
                    + e.getMessage());
            return null;
        }
    }

    private static ImdsClient imdsClient(AgentConfig.Imds imds) {
        return new ImdsClient(imds.baseUrl(), Duration.ofMillis(imds.timeoutMillis()));
    }

    public void start() {
        LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId()).addKeyValue("pool", identity.pool())
                .addKeyValue("coordinator", config.coordinator().host() + ":" + config.coordinator().port())
                .addKeyValue("imds", poller != null ? config.imds().baseUrl() : "off")
                .addKeyValue("stateDir", stateDir.path()).addKeyValue("streamId", journal.streamId())
                .addKeyValue("unacknowledged", journal.size())
                .log("agent starting");
        sampler.sample(); // primes the CPU delta so the first heartbeat has a real number soon after
        hostAddresses.resolveCanonicalNameInBackground();
        client.start(); // before the mounts: the coordinator should see this node even if storage is down
        if (helper != null) {
            try {
                // mounts and the orphans' signals go through it; systemd orders it first, but it may still bind
                helper.connect(HELPER_CONNECT_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        mounts.start();
        if (uploader != null) {
            uploader.start();
        }
        if (launcher != null) {
            // before drover-run can reach us: an orphan's late report must not race its own clean-up
            launcher.reapPreviousIncarnation(TASK_STOP_GRACE);
        }
        if (local != null) {
            try {
                local.start();
            } catch (java.io.IOException e) {
                LOGGER.atError().addKeyValue("socket", config.localSocket())
                        .log("cannot listen for drover-run; tasks will run but not report: " + e.getMessage());
            }
        }
        if (poller != null) {
            poller.start();
        }
    }

    public void stop() throws InterruptedException {
        state = AgentState.STOPPING;
        // Said before the tasks are stopped: their TaskFinished would otherwise free a slot the coordinator
        // fills again at once, with a RunTask this stopping agent can only refuse.
        client.heartbeatNow();
        if (poller != null) {
            poller.close();
        }
        if (launcher != null) {
            launcher.stopAll(TASK_STOP_GRACE); // each stopped task reported before the goodbye below
            launcher.close();
        }
        if (local != null) {
            try {
                local.close();
            } catch (java.io.IOException e) {
                LOGGER.atDebug().log("closing local socket: " + e.getMessage());
            }
        }
        if (uploader != null) {
            uploader.close();
        }
        mounts.close(); // stops probing; never unmounts: a restarting agent must not pull storage from under renders
        if (helper != null) {
            helper.close(); // after the tasks were stopped and reported: closing tells the helper to stop the rest
        }
        client.stop(ByeReason.SHUTDOWN, "agent stopping", ACK_WAIT_MILLIS);
        LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId())
                .addKeyValue("unacknowledged", memory.outbox().size())
                .log("agent stopped; unacknowledged events stay in the journal for the next start");
        journal.close();
        stateDir.close();
    }

    @Override
    public Hello hello(String sessionId, long lastReceivedSeq) {
        return new Hello(ProtocolVersion.MIN_SUPPORTED, ProtocolVersion.CURRENT, AgentVersion.VERSION, identity,
                config.node().slots(), config.node().gpus(), enrolmentToken, sessionId, lastReceivedSeq)
                .withProof(credential, attestation.takeForHello());
    }

    @Override
    public void credentialIssued(String issued) {
        credentialFile.save(issued); // durable before anything else is said: the coordinator takes that as receipt
        credential = issued;
        LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId()).addKeyValue("file", credentialFile.path())
                .log("node credential received and kept");
    }

    @Override
    public void attestationRequired(String nonce) {
        attestation.request(nonce);
    }

    @Override
    public Heartbeat heartbeat() {
        int running = running();
        AgentState reported = state == AgentState.IDLE && running > 0 ? AgentState.BUSY : state;
        return new Heartbeat(System.currentTimeMillis(), reported, running, sampler.sample(), mounts.health(),
                poller != null && poller.degraded(), memory.outbox().dropped());
    }

    @Override
    public HostNames hostNames() {
        return hostAddresses.current();
    }

    @Override
    public void onCommand(Reliable command) {
        if (command instanceof Drain d) {
            onDrain(d);
        } else if (command instanceof RunTask run && launcher != null) {
            launcher.launch(run, refusal());
        } else if (command instanceof CancelTask cancel && launcher != null) {
            launcher.cancel(cancel);
        } else if (command instanceof RunTask run) {
            client.send(seq -> new TaskFinished(seq, run.task(), TaskFinished.NOT_STARTED, 0, 0, -1,
                    System.currentTimeMillis()));
            LOGGER.atWarn().addKeyValue("task", run.task()).log("RunTask refused: no localSocket configured, so "
                    + "drover-run could not report; set localSocket in the agent config");
        } else {
            LOGGER.atWarn().addKeyValue("nodeId", identity.nodeId()).addKeyValue("type", command.type())
                    .log("command not supported by this agent; ignored");
        }
    }

    private synchronized void onDrain(Drain drain) {
        LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId()).addKeyValue("mode", drain.mode())
                .addKeyValue("reason", drain.reason()).log("drain requested");
        if (drain.mode() == DrainMode.CANCEL) {
            state = AgentState.IDLE;
            client.send(seq -> new DrainState(seq, DrainPhase.CANCELLED, 0));
            return;
        }
        if (drain.mode() == DrainMode.DEADLINE && local != null) {
            local.notice("drover: this node is being drained (" + drain.reason() + "); a task still running at "
                    + Instant.ofEpochMilli(drain.deadlineMillis()) + " will be stopped and Tractor will retry it");
        }
        state = AgentState.DRAINING;
        client.send(seq -> new DrainState(seq, DrainPhase.DRAINING, running()));
        if (nothingRunning()) {
            onIdle();
        }
    }

    /** The last task finished: a drain in progress is now complete. */
    private synchronized void onIdle() {
        if (state == AgentState.DRAINING && nothingRunning()) {
            state = AgentState.DRAINED;
            client.send(seq -> new DrainState(seq, DrainPhase.DRAINED, 0));
            LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId()).log("drained: no task running");
        }
    }

    /** Why a RunTask must not start now, or null: a node that is leaving takes no new work. */
    private String refusal() {
        AgentState s = state;
        return s == AgentState.IDLE || s == AgentState.BUSY ? null : "node is " + s;
    }

    private int running() {
        return launcher == null ? tasks.running() : Math.max(tasks.running(), launcher.pending());
    }

    private boolean nothingRunning() {
        return running() == 0;
    }

    private boolean coordinatorKnows(String eventId) {
        Long seq = noticeSeqByEvent.get(eventId);
        return seq != null && memory.outbox().isSettled(seq);
    }

    /** Relays Scheduled Events that name this VM to the coordinator, at once and reliably. */
    private final class EvictionRelay implements ScheduledEventsPoller.Listener {
        @Override
        public void appeared(ScheduledEvent event, Instant observedAt) {
            Optional<EvictionType> type = evictionType(event.type());
            if (type.isEmpty()) {
                LOGGER.atWarn().addKeyValue("eventId", event.eventId()).addKeyValue("type", event.type())
                        .log("scheduled event of a type this agent does not know; not relayed");
                return;
            }
            TerminateGrace.Decision grace = graceFor(event, observedAt);
            if (event.removesVm()) {
                if (!grace.letFinish()) {
                    finishing.clear(); // whatever was let run goes now, with this notice
                } else {
                    finishing.put(event.eventId(), event);
                }
                if (evictions.isEmpty() && state != AgentState.EVICTING) {
                    stateBeforeEviction = state;
                }
                evictions.add(event.eventId());
                state = AgentState.EVICTING;
                tasks.uploadRunningLogs();
                if (local != null) {
                    local.notice(grace.letFinish()
                            ? "drover: Azure will delete this VM (" + event.type() + ", not before "
                                    + event.notBefore().map(Object::toString).orElse("now") + "); this task's ETA fits"
                                    + " before then, so it may finish; the node takes no new work"
                            : stopNotice(event));
                }
            }
            long notBefore = event.notBefore().map(Instant::toEpochMilli).orElse(0L);
            long finishBy = grace.finishBy().map(Instant::toEpochMilli).orElse(0L);
            Reliable notice = client.send(seq -> new EvictionNotice(seq, event.eventId(), type.get(), notBefore,
                    truncate(event.description(), 1000), observedAt.toEpochMilli(), finishBy));
            noticeSeqByEvent.put(event.eventId(), notice.seq());
            var log = event.removesVm() ? LOGGER.atWarn() : LOGGER.atInfo();
            log.addKeyValue("nodeId", identity.nodeId()).addKeyValue("eventId", event.eventId())
                    .addKeyValue("type", event.type()).addKeyValue("notBefore", event.notBefore().orElse(null))
                    .addKeyValue("tasksFinish", grace.letFinish()).addKeyValue("why", grace.reason())
                    .log("scheduled event for this VM relayed to the coordinator");
        }

        /**
         * A Terminate whose tasks were let run: if an ETA has slipped past the margin (or a task appeared with
         * none), tell the coordinator to requeue them now, while there is still time before NotBefore.
         */
        @Override
        public void polled(java.util.List<ScheduledEvent> active, Instant now) {
            for (ScheduledEvent event : active) {
                if (!finishing.containsKey(event.eventId()) || nothingRunning()) {
                    continue; // idle: the approval follows this poll
                }
                TerminateGrace.Decision grace = graceFor(event, now);
                if (grace.letFinish()) {
                    continue;
                }
                finishing.remove(event.eventId());
                long notBefore = event.notBefore().map(Instant::toEpochMilli).orElse(0L);
                Reliable notice = client.send(seq -> new EvictionNotice(seq, event.eventId(), EvictionType.TERMINATE,
                        notBefore, truncate(event.description(), 1000), now.toEpochMilli(), 0));
                noticeSeqByEvent.put(event.eventId(), notice.seq());
                if (local != null) {
                    local.notice(stopNotice(event));
                }
                LOGGER.atWarn().addKeyValue("nodeId", identity.nodeId()).addKeyValue("eventId", event.eventId())
                        .addKeyValue("why", grace.reason())
                        .log("Terminate: running tasks no longer fit before NotBefore; coordinator told to requeue");
            }
        }

        /**
         * The event left the document while this VM still runs: a Freeze or Reboot is over, or Azure cancelled a
         * Preempt/Terminate. The coordinator hears of it (reliably) and the node goes back to where it was.
         */
        @Override
        public void ended(ScheduledEvent event) {
            if (event.removesVm() && wentAhead(event)) {
                // A Preempt/Terminate that had started (or reached its NotBefore) leaves the document because it
                // is happening: the VM is going. Only one that vanishes while still Scheduled is a cancellation.
                noticeSeqByEvent.remove(event.eventId());
                LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId()).addKeyValue("eventId", event.eventId())
                        .addKeyValue("type", event.type()).log("removal event left the document after it started");
                return;
            }
            finishing.remove(event.eventId());
            Long relayed = noticeSeqByEvent.remove(event.eventId());
            Optional<EvictionType> type = evictionType(event.type());
            if (relayed != null && type.isPresent()) {
                client.send(seq -> new EvictionEnded(seq, event.eventId(), type.get(), System.currentTimeMillis()));
            }
            boolean cancelled = event.removesVm() && evictions.remove(event.eventId());
            if (cancelled && evictions.isEmpty() && state == AgentState.EVICTING) {
                state = stateBeforeEviction;
                if (local != null) {
                    local.clearNotice();
                }
            }
            LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId()).addKeyValue("eventId", event.eventId())
                    .addKeyValue("type", event.type()).addKeyValue("state", state)
                    .log(cancelled ? "eviction cancelled: the event ended without taking this VM"
                            : "scheduled event ended");
        }
    }

    /** Only a Terminate still Scheduled may let tasks finish; a Preempt gives too little time to try. */
    private TerminateGrace.Decision graceFor(ScheduledEvent event, Instant now) {
        if (!"Terminate".equalsIgnoreCase(event.type()) || !"Scheduled".equalsIgnoreCase(event.status())) {
            return new TerminateGrace.Decision(false, Optional.empty(), event.type() + " " + event.status());
        }
        return TerminateGrace.decide(event.notBefore(), now, running(), tasks.timings(),
                Duration.ofSeconds(config.imds().terminateMarginSeconds()));
    }

    private static String stopNotice(ScheduledEvent event) {
        return "drover: Azure is evicting this VM (" + event.type() + ", not before "
                + event.notBefore().map(Object::toString).orElse("now")
                + "); this task will be stopped and Tractor will retry it on another node";
    }

    /** Started, or past its NotBefore (IMDS blanks NotBefore once an event starts): it went ahead. */
    static boolean wentAhead(ScheduledEvent event) {
        return !"Scheduled".equalsIgnoreCase(event.status())
                || event.notBefore().map(nb -> !java.time.Instant.now().isBefore(nb)).orElse(true);
    }

    static Optional<EvictionType> evictionType(String imdsType) {
        for (EvictionType t : EvictionType.values()) {
            if (t.name().equalsIgnoreCase(imdsType)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
