package dev.drover.agent.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drover.protocol.TaskRef;

/**
 * The local protocol between {@code drover-run} and the agent on the same VM: one JSON object per line over a
 * Unix domain socket. Wrapper → agent: {@code started}, {@code progress}, {@code finished}; agent → wrapper:
 * {@code notice} (a line the wrapper prints into the task's output). Lines are at most {@value #MAX_LINE}
 * characters; anything else is dropped with that connection.
 */
public final class LocalMessages {
    public static final int MAX_LINE = 16 * 1024;
    static final ObjectMapper JSON = new ObjectMapper();

    private LocalMessages() {
    }

    /** @param log the file the wrapper captures the task's output into, or null */
    public static String started(TaskRef t, long pid, long atMillis, String log) {
        return task("started", t).put("pid", pid).put("at", atMillis).put("log", log).toString();
    }

    public static String progress(TaskRef t, float percent, int frame, int etaSeconds, long atMillis) {
        return task("progress", t).put("percent", percent).put("frame", frame).put("eta", etaSeconds)
                .put("at", atMillis).toString();
    }

    public static String finished(TaskRef t, int exitCode, int signal, long runtimeMillis, long peakRssBytes,
            long atMillis, String log) {
        return task("finished", t).put("exitCode", exitCode).put("signal", signal).put("runtimeMillis", runtimeMillis)
                .put("peakRssBytes", peakRssBytes).put("at", atMillis).put("log", log).toString();
    }

    public static String notice(String text) {
        return JSON.createObjectNode().put("type", "notice").put("text", text).toString();
    }

    private static ObjectNode task(String type, TaskRef t) {
        return JSON.createObjectNode().put("type", type).put("jid", t.jid()).put("tid", t.tid()).put("cid", t.cid());
    }

    /** Parses one line; throws IllegalArgumentException on anything malformed. */
    public static JsonNode parse(String line) {
        if (line.length() > MAX_LINE) {
            throw new IllegalArgumentException("line of " + line.length() + " characters exceeds " + MAX_LINE);
        }
        try {
            JsonNode n = JSON.readTree(line);
            if (n == null || !n.isObject() || !n.path("type").isTextual()) {
                throw new IllegalArgumentException("not a message object");
            }
            return n;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    public static TaskRef taskOf(JsonNode n) {
        return new TaskRef(n.path("jid").asLong(-1), n.path("tid").asInt(-1), n.path("cid").asInt(-1));
    }
}
