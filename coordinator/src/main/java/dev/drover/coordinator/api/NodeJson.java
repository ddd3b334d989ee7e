package dev.drover.coordinator.api;

import dev.drover.coordinator.fleet.NodeSnapshot;
import dev.drover.coordinator.fleet.TaskView;
import dev.drover.coordinator.fleet.Transition;
import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.Heartbeat;
import dev.drover.protocol.HostMetrics;
import dev.drover.protocol.MountHealth;
import dev.drover.protocol.NodeIdentity;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** The JSON shape of a node in the HTTP API. Field names are part of the API; change them with care. */
final class NodeJson {
    private NodeJson() {
    }

    /** The list view: enough for a grid, without history. */
    static JsonObject summary(NodeSnapshot n) {
        JsonObject json = new JsonObject()
                .put("id", n.id())
                .put("state", n.state().name())
                .put("stateReason", n.stateReason())
                .put("stateSince", iso(n.stateSince()))
                .put("lastHeartbeat", iso(n.lastHeartbeatAt()))
                .put("lastSeen", iso(n.lastSeen()))
                .put("connected", n.connected())
                .put("pool", n.identity() != null ? n.identity().pool() : null)
                .put("slots", n.slots())
                .put("gpus", n.gpus());
        Heartbeat hb = n.lastHeartbeat();
        json.put("agentState", hb != null ? hb.state().name() : null);
        json.put("runningTasks", hb != null ? hb.runningTasks() : 0);
        json.put("metrics", hb != null ? metrics(hb.metrics()) : null);
        json.put("mounts", hb != null ? mounts(hb) : new JsonArray());
        json.put("imdsDegraded", hb != null && hb.imdsDegraded());
        json.put("eviction", n.eviction() != null ? eviction(n.eviction()) : null);
        json.put("currentTasks", tasks(n.id(), n.runningTasks()));
        return json;
    }

    /** The detail view: the summary plus identity, session and state history. */
    static JsonObject detail(NodeSnapshot n) {
        JsonArray history = new JsonArray();
        for (Transition t : n.history()) {
            history.add(new JsonObject().put("from", t.from().name()).put("to", t.to().name())
                    .put("reason", t.reason()).put("at", iso(t.at())));
        }
        return summary(n)
                .put("identity", n.identity() != null ? identity(n.identity()) : null)
                .put("agentVersion", n.agentVersion())
                .put("protocolVersion", n.protocolVersion())
                .put("sessionId", n.sessionId())
                .put("remoteAddress", n.remoteAddress())
                .put("enrolledAt", iso(n.enrolledAt()))
                .put("droppedEvents", n.lastHeartbeat() != null ? n.lastHeartbeat().droppedEvents() : 0)
                .put("hostNames", hostNames(n.hostNames()))
                .put("history", history)
                .put("recentTasks", tasks(n.id(), n.recentTasks()));
    }

    static JsonArray tasks(String nodeId, java.util.List<TaskView> views) {
        JsonArray array = new JsonArray();
        for (TaskView t : views) {
            array.add(new JsonObject()
                    .put("node", nodeId)
                    .put("jid", t.task().jid()).put("tid", t.task().tid()).put("cid", t.task().cid())
                    .put("state", t.running() ? "RUNNING" : "FINISHED")
                    .put("percent", t.percent())
                    .put("frame", t.frame() >= 0 ? t.frame() : null)
                    .put("etaSeconds", t.etaSeconds() >= 0 ? t.etaSeconds() : null)
                    .put("startedAt", iso(t.startedAt()))
                    .put("progressAt", iso(t.progressAt()))
                    .put("finishedAt", iso(t.finishedAt()))
                    .put("exitCode", t.exitCode())
                    .put("signal", t.signal() > 0 ? t.signal() : null)
                    .put("runtimeMillis", t.running() ? null : t.runtimeMillis())
                    .put("peakRssBytes", t.peakRssBytes() >= 0 ? t.peakRssBytes() : null));
        }
        return array;
    }

    private static JsonObject metrics(HostMetrics m) {
        return new JsonObject()
                .put("cpuPercent", m.cpuPercent())
                .put("load1", m.load1())
                .put("memTotalBytes", m.memTotalBytes())
                .put("memAvailableBytes", m.memAvailableBytes())
                .put("scratchFreeBytes", m.scratchFreeBytes())
                .put("openFileLimit", m.openFileLimit())
                .put("processCount", m.processCount())
                .put("gpuCount", m.gpuCount())
                .put("gpuPercent", m.gpuPercent());
    }

    private static JsonArray mounts(Heartbeat hb) {
        JsonArray array = new JsonArray();
        for (MountHealth m : hb.mounts()) {
            array.add(new JsonObject().put("mountPoint", m.mountPoint()).put("state", m.state().name())
                    .put("probeMillis", m.probeMillis()).put("detail", m.detail()));
        }
        return array;
    }

    /**
     * What the agent last stated (Heartbeat extension 1), also before its first heartbeat after a coordinator
     * restart (kept in the store): the names and addresses its blade may register under.
     */
    private static JsonObject hostNames(dev.drover.protocol.HostNames h) {
        return new JsonObject().put("names", new JsonArray(h.names())).put("addresses", new JsonArray(h.addresses()));
    }

    private static JsonObject eviction(EvictionNotice e) {
        return new JsonObject()
                .put("eventId", e.eventId())
                .put("type", e.eventType().name())
                .put("notBefore", e.notBeforeMillis() > 0 ? Instant.ofEpochMilli(e.notBeforeMillis()).toString() : null)
                .put("description", e.description());
    }

    private static JsonObject identity(NodeIdentity i) {
        return new JsonObject()
                .put("vmId", i.vmId())
                .put("computerName", i.computerName())
                .put("scaleSet", i.scaleSet())
                .put("instanceId", i.instanceId())
                .put("vmSize", i.vmSize())
                .put("priority", i.priority().name())
                .put("location", i.location())
                .put("zone", i.zone())
                .put("pool", i.pool());
    }

    private static String iso(Instant at) {
        return at != null ? at.toString() : null;
    }
}
