package dev.drover.agent;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.health.HostSampler;
import dev.drover.agent.session.AgentCommands;
import dev.drover.agent.session.CoordinatorClient;
import dev.drover.agent.session.SessionMemory;
import dev.drover.protocol.AgentState;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Drain;
import dev.drover.protocol.DrainMode;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.ProtocolVersion;
import dev.drover.protocol.Reliable;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent daemon: who this node is, what state it is in, and its session with the coordinator.
 * Task execution, IMDS and mounts plug in beside it.
 */
public final class Agent implements AgentCommands {
    private static final Logger LOGGER = LoggerFactory.getLogger(Agent.class);

    private final AgentConfig config;
    private final NodeIdentity identity;
    private final String enrolmentToken;
    private final SessionMemory memory;
    private final HostSampler sampler;
    private final CoordinatorClient client;
    private volatile AgentState state = AgentState.IDLE;

    public Agent(AgentConfig config, NodeIdentity identity, String enrolmentToken) {
        this.config = config;
        this.identity = identity;
        this.enrolmentToken = enrolmentToken;
        this.memory = new SessionMemory(config.outbox().capacity());
        this.sampler = HostSampler.forThisHost(config.scratchPath());
        this.client = new CoordinatorClient(config, this, memory);
    }

    public void start() {
        LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId()).addKeyValue("pool", identity.pool())
                .addKeyValue("coordinator", config.coordinator().host() + ":" + config.coordinator().port())
                .log("agent starting");
        sampler.sample(); // primes the CPU delta so the first heartbeat has a real number soon after
        client.start();
    }

    public void stop() throws InterruptedException {
        state = AgentState.STOPPING;
        client.stop(ByeReason.SHUTDOWN, "agent stopping", 3000);
        LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId())
                .addKeyValue("unacknowledged", memory.outbox().size()).log("agent stopped");
    }

    @Override
    public Hello hello(String sessionId, long lastReceivedSeq) {
        return new Hello(ProtocolVersion.MIN_SUPPORTED, ProtocolVersion.CURRENT, AgentVersion.VERSION, identity,
                config.node().slots(), config.node().gpus(), enrolmentToken, sessionId, lastReceivedSeq);
    }

    @Override
    public Heartbeat heartbeat() {
        return new Heartbeat(System.currentTimeMillis(), state, 0, sampler.sample(), List.of(), false,
                memory.outbox().dropped());
    }

    @Override
    public void onCommand(Reliable command) {
        if (command instanceof Drain d) {
            onDrain(d);
        } else {
            LOGGER.atWarn().addKeyValue("nodeId", identity.nodeId()).addKeyValue("type", command.type())
                    .log("command not supported by this agent; ignored");
        }
    }

    private void onDrain(Drain drain) {
        LOGGER.atInfo().addKeyValue("nodeId", identity.nodeId()).addKeyValue("mode", drain.mode())
                .addKeyValue("reason", drain.reason()).log("drain requested");
        if (drain.mode() == DrainMode.CANCEL) {
            state = AgentState.IDLE;
            client.send(seq -> new DrainState(seq, DrainPhase.CANCELLED, 0));
            return;
        }
        // No task runs under this agent yet, so a drain completes at once.
        state = AgentState.DRAINED;
        client.send(seq -> new DrainState(seq, DrainPhase.DRAINED, 0));
    }

    public NodeIdentity identity() {
        return identity;
    }
}
