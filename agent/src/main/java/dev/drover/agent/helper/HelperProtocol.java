package dev.drover.agent.helper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The wire between the agent and the root helper: one JSON object per line over a Unix socket, every request
 * with an {@code id} that its reply carries back. Agent → helper: {@code mount}, {@code unmount}, {@code start},
 * {@code signal}. Helper → agent: a reply ({@code ok} true with the result, or false with an {@code error}
 * naming what was wrong) and, for a task it started, one {@code exited} event. Everything is bounded, since the
 * helper is root and the agent is the process an attacker would have taken.
 */
public final class HelperProtocol {
    public static final int MAX_LINE_BYTES = 256 * 1024;
    public static final int MAX_ARGS = 1024;
    public static final int MAX_ENV = 1024;
    public static final int MAX_STRING_BYTES = 64 * 1024;
    public static final int MAX_TASK_NAME = 64;
    /** What a reply carries of mount(8)'s output, as CommandRunner keeps it. */
    public static final int MAX_OUTPUT_CHARS = 4096;
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private HelperProtocol() {
    }

    /** A request the helper understood; what it may do with it is decided by the helper's own config. */
    public sealed interface Request permits Mount, Unmount, Start, Signal {
        long id();
    }

    public record Mount(long id, String name, String server) implements Request {
    }

    public record Unmount(long id, String name) implements Request {
    }

    /** @param task a label for logs and the exit event (the agent's task id); not trusted for anything */
    public record Start(long id, String task, List<String> argv, Map<String, String> env, String workingDir)
            implements Request {
    }

    public record Signal(long id, long pid, long startTicks, boolean kill) implements Request {
    }

    /** A line the helper cannot act on, with the request id when one could be read (else 0). */
    public static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        private final long id;

        BadRequest(long id, String message) {
            super(message);
            this.id = id;
        }

        public long id() {
            return id;
        }
    }

    private static final Map<String, Set<String>> FIELDS = Map.of(
            "mount", Set.of("id", "op", "name", "server"),
            "unmount", Set.of("id", "op", "name"),
            "start", Set.of("id", "op", "task", "argv", "env", "workingDir"),
            "signal", Set.of("id", "op", "pid", "startTicks", "signal"));

    /** Parses and checks one request line (without its newline). */
    public static Request parse(String line) throws BadRequest {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (IOException e) {
            throw new BadRequest(0, "not JSON: " + firstLine(e.getMessage()));
        }
        if (n == null || !n.isObject()) {
            throw new BadRequest(0, "not a JSON object");
        }
        JsonNode idNode = n.get("id");
        if (idNode == null || !idNode.canConvertToLong() || !idNode.isIntegralNumber() || idNode.asLong() < 1) {
            throw new BadRequest(0, "id must be a positive integer");
        }
        long id = idNode.asLong();
        String op = n.path("op").isTextual() ? n.get("op").asText() : "";
        Set<String> allowed = FIELDS.get(op);
        if (allowed == null) {
            throw new BadRequest(id, "unknown op '" + clip(op) + "'; known: mount, unmount, start, signal");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!allowed.contains(field)) {
                throw new BadRequest(id, op + ": unknown field '" + clip(field) + "'");
            }
        }
        return switch (op) {
            case "mount" -> new Mount(id, text(n, "name", id, 256), optionalText(n, "server", id, 256));
            case "unmount" -> new Unmount(id, text(n, "name", id, 256));
            case "start" -> new Start(id, text(n, "task", id, MAX_TASK_NAME), argv(n, id), env(n, id),
                    optionalText(n, "workingDir", id, 4096));
            default -> signal(n, id);
        };
    }

    private static Signal signal(JsonNode n, long id) throws BadRequest {
        long pid = number(n, "pid", id);
        long ticks = number(n, "startTicks", id);
        if (pid < 2) {
            throw new BadRequest(id, "signal: pid must be above 1, got " + pid);
        }
        String sig = text(n, "signal", id, 8);
        if (!sig.equals("TERM") && !sig.equals("KILL")) {
            throw new BadRequest(id, "signal: signal must be TERM or KILL, got '" + clip(sig) + "'");
        }
        return new Signal(id, pid, ticks, sig.equals("KILL"));
    }

    private static List<String> argv(JsonNode n, long id) throws BadRequest {
        JsonNode a = n.get("argv");
        if (a == null || !a.isArray() || a.isEmpty() || a.size() > MAX_ARGS) {
            throw new BadRequest(id, "start: argv must be an array of 1.." + MAX_ARGS + " strings");
        }
        List<String> out = new ArrayList<>(a.size());
        for (JsonNode e : a) {
            out.add(checked(e, "argv[" + out.size() + "]", id));
        }
        return out;
    }

    private static Map<String, String> env(JsonNode n, long id) throws BadRequest {
        JsonNode e = n.get("env");
        if (e == null) {
            return Map.of();
        }
        if (!e.isObject() || e.size() > MAX_ENV) {
            throw new BadRequest(id, "start: env must be an object of at most " + MAX_ENV + " strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> v = it.next();
            if (v.getKey().isEmpty() || v.getKey().contains("=") || v.getKey().indexOf('\0') >= 0) {
                throw new BadRequest(id, "start: env name '" + clip(v.getKey()) + "' is not a variable name");
            }
            out.put(v.getKey(), checked(v.getValue(), "env." + clip(v.getKey()), id));
        }
        return out;
    }

    private static String checked(JsonNode v, String field, long id) throws BadRequest {
        if (!v.isTextual()) {
            throw new BadRequest(id, field + " must be a string");
        }
        String s = v.asText();
        if (s.indexOf('\0') >= 0) {
            throw new BadRequest(id, field + " holds a NUL character");
        }
        int bytes = s.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_STRING_BYTES) {
            throw new BadRequest(id, field + " is " + bytes + " bytes, limit " + MAX_STRING_BYTES);
        }
        return s;
    }

    private static String text(JsonNode n, String field, long id, int max) throws BadRequest {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty() || v.asText().length() > max) {
            throw new BadRequest(id, n.path("op").asText() + ": " + field + " must be a string of 1.." + max
                    + " characters");
        }
        return v.asText();
    }

    private static String optionalText(JsonNode n, String field, long id, int max) throws BadRequest {
        return n.has(field) && !n.get(field).asText("").isEmpty() ? text(n, field, id, max) : "";
    }

    private static long number(JsonNode n, String field, long id) throws BadRequest {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw new BadRequest(id, n.path("op").asText() + ": " + field + " must be a non-negative integer");
        }
        return v.asLong();
    }

    // ---- lines the agent writes ---------------------------------------------------------------------------

    static String mount(long id, String name, String server) {
        return request(id, "mount").put("name", name).put("server", server).toString();
    }

    static String unmount(long id, String name) {
        return request(id, "unmount").put("name", name).toString();
    }

    static String start(long id, String task, List<String> argv, Map<String, String> env, String workingDir) {
        ObjectNode o = request(id, "start").put("task", task).put("workingDir", workingDir);
        ArrayNode a = o.putArray("argv");
        argv.forEach(a::add);
        ObjectNode e = o.putObject("env");
        env.forEach(e::put);
        return o.toString();
    }

    static String signal(long id, long pid, long startTicks, boolean kill) {
        return request(id, "signal").put("pid", pid).put("startTicks", startTicks).put("signal", kill ? "KILL" : "TERM")
                .toString();
    }

    private static ObjectNode request(long id, String op) {
        return JSON.createObjectNode().put("id", id).put("op", op);
    }

    // ---- lines the helper writes --------------------------------------------------------------------------

    static ObjectNode ok(long id) {
        return JSON.createObjectNode().put("id", id).put("ok", true);
    }

    static String error(long id, String why) {
        return JSON.createObjectNode().put("id", id).put("ok", false).put("error", why).toString();
    }

    static String exited(long id, String task, long pid, int exitCode) {
        return JSON.createObjectNode().put("event", "exited").put("id", id).put("task", task).put("pid", pid)
                .put("exitCode", exitCode).toString();
    }

    /** Peer text in our own messages: short, one line. */
    static String clip(String s) {
        String one = s.replaceAll("[\\p{Cntrl}]", "?");
        return one.length() <= 80 ? one : one.substring(0, 80) + "...";
    }

    private static String firstLine(String s) {
        String t = String.valueOf(s);
        int nl = t.indexOf('\n');
        return clip(nl < 0 ? t : t.substring(0, nl));
    }
}
