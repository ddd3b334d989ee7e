package dev.drover.coordinator.fleet;

import dev.drover.protocol.AgentState;
import dev.drover.protocol.ByeReason;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.Hello;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.Message;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import dev.drover.protocol.Welcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fleet for unit tests in other packages: a registry on a settable clock whose listeners run at once on the
 * calling thread, and agents that are just recording links.
 */
public final class TestFleet {
    public final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));
    public final NodeRegistry registry = new NodeRegistry(clock,
            new LivenessSettings(Duration.ofSeconds(5), 20, 3, Duration.ofSeconds(60)), 100, Runnable::run);
    private final Map<String, Link> links = new HashMap<>();
    private long seq;

    /** What the coordinator sent one agent. */
    public static final class Link implements AgentLink {
        public final List<Message> sent = new ArrayList<>();

        @Override
        public synchronized void send(Message message) {
            sent.add(message);
        }

        @Override
        public void close(ByeReason reason, String detail) {
        }

        @Override
        public String remoteAddress() {
            return "10.0.0.9:40000";
        }

        public synchronized <T extends Message> List<T> sent(Class<T> type) {
            return sent.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    public Link enrol(String nodeId, String pool, int slots) {
        Link link = new Link();
        registry.enrol(new Hello(1, 1, "test", NodeIdentity.local(nodeId, pool), slots, 0, "t", "", 0), 1, link,
                b -> new Welcome(1, b.sessionId(), nodeId, b.resumed(), 0, 5000, 20, 65536, 0));
        links.put(nodeId, link);
        return link;
    }

    public Link link(String nodeId) {
        return links.get(nodeId);
    }

    public void heartbeat(String nodeId, int running) {
        registry.heartbeat(node(nodeId), new Heartbeat(0, running > 0 ? AgentState.BUSY : AgentState.IDLE, running,
                HostMetrics.UNKNOWN, List.of(), false, 0));
    }

    public void started(String nodeId, TaskRef task) {
        reliable(nodeId, new TaskStarted(++seq, task, clock.millis(), 100));
    }

    public void finished(String nodeId, TaskRef task, int exitCode) {
        reliable(nodeId, new TaskFinished(++seq, task, exitCode, 0, 1000, -1, clock.millis()));
    }

    public void reliable(String nodeId, Reliable event) {
        registry.reliable(node(nodeId), event);
    }

    public long nextSeq() {
        return ++seq;
    }

    public NodeState state(String nodeId) {
        return node(nodeId).state();
    }

    private Node node(String nodeId) {
        return registry.find(nodeId).orElseThrow();
    }
}
