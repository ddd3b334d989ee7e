package dev.drover.coordinator.api;

import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.protocol.MessageCodec;
import dev.drover.protocol.ProtocolLimits;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskRef;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/** {@code /api/jobs}: the built-in queue's jobs and tasks, and submitting a job (operators). */
final class JobsApi {
    static final int MAX_BODY_BYTES = 1024 * 1024;
    static final int MAX_TASKS = 10_000;
    static final int MAX_ARGS = 256;

    private JobsApi() {
    }

    static void list(RoutingContext ctx, BuiltInQueue queue) {
        if (queue == null) {
            ApiVerticle.sendError(ctx, 404, "no built-in queue: this coordinator reads Tractor's queue");
            return;
        }
        JsonArray tasks = new JsonArray();
        for (BuiltInQueue.TaskInfo t : queue.tasks()) {
            tasks.add(new JsonObject().put("jid", t.ref().jid()).put("tid", t.ref().tid()).put("cid", t.ref().cid())
                    .put("job", t.jobTitle()).put("title", t.title()).put("serviceKey", t.serviceKey())
                    .put("state", t.state().name()).put("attempts", t.attempts()).put("requeues", t.requeues())
                    .put("node", t.node().isEmpty() ? null : t.node()).put("nodesTried", new JsonArray(t.nodesTried()))
                    .put("since", t.since().toString()));
        }
        ApiVerticle.sendJson(ctx, 200, new JsonObject().put("totals", totals(queue)).put("tasks", tasks));
    }

    static JsonObject totals(BuiltInQueue queue) {
        JsonObject totals = new JsonObject();
        queue.totals().forEach((state, n) -> totals.put(state.name().toLowerCase(java.util.Locale.ROOT), n));
        return totals;
    }

    /**
     * Adds each running task's title ("frame 12") to a node's currentTasks, for the dashboard; a task handed to
     * the node whose drover-run has not reported yet is shown as STARTING.
     */
    static void titles(String nodeId, JsonArray currentTasks, BuiltInQueue queue) {
        if (currentTasks.isEmpty()) {
            for (BuiltInQueue.TaskInfo t : queue.activeOn(nodeId)) {
                currentTasks.add(new JsonObject().put("node", nodeId).put("jid", t.ref().jid()).put("tid", t.ref().tid())
                        .put("cid", t.ref().cid()).put("state", "STARTING").put("percent", 0));
            }
        }
        for (int i = 0; i < currentTasks.size(); i++) {
            JsonObject t = currentTasks.getJsonObject(i);
            BuiltInQueue.TaskInfo info = queue.task(new TaskRef(t.getLong("jid"), t.getInteger("tid"),
                    t.getInteger("cid")));
            if (info != null) {
                t.put("title", info.title()).put("job", info.jobTitle());
            }
        }
    }

    /**
     * Body: {@code {"title": "...", "serviceKey": "blender", "tasks": [{"title": "frame 1", "argv": [...],
     * "env": ["NAME=value"], "workingDir": ""}]}}.
     */
    static void submit(RoutingContext ctx, BuiltInQueue queue) {
        if (queue == null) {
            ApiVerticle.sendError(ctx, 404, "no built-in queue: submit jobs to Tractor");
            return;
        }
        JsonObject body = bodyOrEmpty(ctx);
        if (body == null) {
            return;
        }
        BuiltInQueue.JobSpec job;
        try {
            job = parse(body);
        } catch (IllegalArgumentException | ClassCastException e) {
            ApiVerticle.sendError(ctx, 400, "invalid job: " + e.getMessage());
            return;
        }
        for (int i = 0; i < job.tasks().size(); i++) {
            int bytes;
            try {
                bytes = runTaskBytes(job.serviceKey(), job.tasks().get(i));
            } catch (IllegalArgumentException e) {
                ApiVerticle.sendError(ctx, 400, "invalid job: tasks[" + i + "]: " + e.getMessage());
                return;
            }
            if (bytes > AGENT_FRAME_LIMIT) {
                // accepted, it could never be sent: the agent refuses frames over its limit
                ApiVerticle.sendError(ctx, 413, "tasks[" + i + "] would be sent to the agent as a RunTask of " + bytes
                        + " bytes; the agent's frame limit is " + AGENT_FRAME_LIMIT + " bytes");
                return;
            }
        }
        long jid = queue.submit(job);
        ApiVerticle.sendJson(ctx, 201, new JsonObject().put("jid", jid).put("tasks", job.tasks().size()));
    }

    /** What an agent accepts in one frame (its decoder's limit), whatever the coordinator's own limit is. */
    static final int AGENT_FRAME_LIMIT = ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH;

    /** The encoded size of the RunTask a task becomes, with the largest ids it could be given. */
    static int runTaskBytes(String serviceKey, BuiltInQueue.TaskSpec task) {
        ByteBuf buf = Unpooled.buffer();
        try {
            MessageCodec.encode(new RunTask(Long.MAX_VALUE, new TaskRef(Long.MAX_VALUE, Integer.MAX_VALUE,
                    Integer.MAX_VALUE), serviceKey, task.argv(), task.env(), task.workingDir()), buf,
                    ProtocolLimits.MAX_FRAME_LENGTH_CEILING);
            return buf.readableBytes() - ProtocolLimits.LENGTH_FIELD_BYTES;
        } catch (dev.drover.protocol.ProtocolException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            buf.release();
        }
    }

    static BuiltInQueue.JobSpec parse(JsonObject body) {
        Bodies.onlyFields(body, "", java.util.Set.of("title", "serviceKey", "tasks"));
        if (!(body.getValue("tasks") instanceof JsonArray)) {
            throw new IllegalArgumentException("tasks must be an array of 1.." + MAX_TASKS + " tasks, got "
                    + Bodies.describe(body.getValue("tasks")));
        }
        String title = text(body, "title", 200, ProtocolLimits.MAX_LONG_STRING);
        String key = text(body, "serviceKey", 64, ProtocolLimits.MAX_SHORT_STRING); // RunTask.serviceKey
        JsonArray tasks = body.getJsonArray("tasks");
        if (tasks == null || tasks.isEmpty() || tasks.size() > MAX_TASKS) {
            throw new IllegalArgumentException("tasks must be an array of 1.." + MAX_TASKS + " tasks");
        }
        List<BuiltInQueue.TaskSpec> specs = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            if (!(tasks.getValue(i) instanceof JsonObject t)) {
                throw new IllegalArgumentException("tasks[" + i + "] must be an object");
            }
            Bodies.onlyFields(t, "tasks[" + i + "]: ", java.util.Set.of("title", "argv", "env", "workingDir"));
            for (String list : List.of("argv", "env")) {
                if (t.containsKey(list) && !(t.getValue(list) instanceof JsonArray)) {
                    throw new IllegalArgumentException("tasks[" + i + "]." + list + " must be an array of strings, got "
                            + Bodies.describe(t.getValue(list)));
                }
            }
            List<String> argv = strings(t.getJsonArray("argv"), "tasks[" + i + "].argv");
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("tasks[" + i + "].argv must not be empty");
            }
            List<String> env = strings(t.getJsonArray("env", new JsonArray()), "tasks[" + i + "].env");
            for (String e : env) {
                if (e.indexOf('=') < 1) {
                    throw new IllegalArgumentException("tasks[" + i + "].env entries must be NAME=value");
                }
            }
            String taskTitle = Bodies.optionalString(t, "title", 200, "tasks[" + i + "].");
            String workingDir = Bodies.optionalString(t, "workingDir", ProtocolLimits.MAX_LONG_STRING,
                    "tasks[" + i + "].");
            specs.add(new BuiltInQueue.TaskSpec(taskTitle != null ? taskTitle : "task " + (i + 1), argv, env,
                    workingDir != null ? workingDir : ""));
        }
        return new BuiltInQueue.JobSpec(title, key, specs);
    }

    private static String text(JsonObject o, String field, int max, int maxBytes) {
        if (!(o.getValue(field) instanceof String v)) {
            throw new IllegalArgumentException(field + " must be a non-empty string of at most " + max
                    + " characters, got " + Bodies.describe(o.getValue(field)));
        }
        if (v == null || v.isBlank() || v.length() > max) {
            throw new IllegalArgumentException(field + " must be a non-empty string of at most " + max + " characters");
        }
        return Bodies.wireText(v, maxBytes, field);
    }

    private static List<String> strings(JsonArray a, String field) {
        if (a == null || a.size() > MAX_ARGS) {
            throw new IllegalArgumentException(field + " must be an array of at most " + MAX_ARGS + " strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!(a.getValue(i) instanceof String s)) {
                throw new IllegalArgumentException(field + "[" + i + "] must be a string, got "
                        + Bodies.describe(a.getValue(i)));
            }
            // each one becomes a wire string of the RunTask: well-formed Unicode, at most 4096 UTF-8 bytes
            out.add(Bodies.wireText(s, ProtocolLimits.MAX_LONG_STRING, field + "[" + i + "]"));
        }
        return out;
    }

    /** The JSON body, {} when there is none, or null after sending 400 for a body that is not a JSON object. */
    static JsonObject bodyOrEmpty(RoutingContext ctx) {
        if (ctx.body() == null || ctx.body().length() <= 0) { // -1: no body at all (a bare POST from a browser)
            return new JsonObject();
        }
        try {
            JsonObject body = ctx.body().asJsonObject();
            if (body == null) {
                throw new DecodeException("not a JSON object");
            }
            return body;
        } catch (DecodeException | ClassCastException e) {
            ApiVerticle.sendError(ctx, 400, "body must be a JSON object");
            return null;
        }
    }
}
