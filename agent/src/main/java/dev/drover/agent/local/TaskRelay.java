package dev.drover.agent.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drover.agent.session.CoordinatorClient;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskProgress;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import dev.drover.agent.imds.TaskTiming;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what drover-run reports into protocol events for the coordinator — start and finish reliably,
 * progress as latest value — and keeps the set of tasks running on this node.
 */
public final class TaskRelay implements LocalTaskServer.Listener {
    private static final Logger LOGGER = LoggerFactory.getLogger(TaskRelay.class);

    private final CoordinatorClient client;
    private final Runnable onIdle;
    /** Running tasks and the file each one's output is captured in ("" when none). */
    private final Map<TaskRef, String> running = new ConcurrentHashMap<>();
    /** The pace of each running task, for deciding whether it can finish before a Terminate. */
    private final Map<TaskRef, TaskTiming> timings = new ConcurrentHashMap<>();
    private final BiConsumer<TaskRef, Path> logs;
    /** Tasks drover-run reported as finished, until the launcher that started them asks (then forgotten). */
    private final java.util.Set<TaskRef> reportedFinished = ConcurrentHashMap.newKeySet();
    private volatile Owner owner;

    /** Whoever launched a task (the RunTask launcher) reports its start and finish itself, exactly once. */
    public interface Owner {
        boolean owns(TaskRef task);

        void started(TaskRef task, long atMillis, int pid);

        void finished(TaskRef task, int exitCode, int signal, long runtimeMillis, long peakRssBytes, long atMillis);
    }

    /**
     * @param onIdle called when the last running task finishes (a drain may then complete)
     * @param logs receives a task's captured output file to upload, when it finishes
     */
    public TaskRelay(CoordinatorClient client, Runnable onIdle, BiConsumer<TaskRef, Path> logs) {
        this.client = client;
        this.onIdle = onIdle;
        this.logs = logs;
    }

    /** Uploads what running tasks have written so far: the VM may be gone before they finish. */
    public void uploadRunningLogs() {
        running.forEach((task, log) -> {
            if (!log.isEmpty()) {
                logs.accept(task, Path.of(log));
            }
        });
    }

    /**
     * True (once) if drover-run reported this task finished; false means the wrapper died without saying so
     * and the caller must report the outcome itself.
     */
    public boolean takeFinishedReport(TaskRef task) {
        return reportedFinished.remove(task);
    }

    public void owner(Owner owner) {
        this.owner = owner;
    }

    public int running() {
        return running.size();
    }

    /** Start and latest progress of each running task drover-run has reported. */
    public List<TaskTiming> timings() {
        return List.copyOf(timings.values());
    }

    @Override
    public void onMessage(JsonNode m) {
        try {
            TaskRef task = LocalMessages.taskOf(m);
            switch (m.path("type").asText()) {
                case "started" -> {
                    running.put(task, m.path("log").asText(""));
                    long at = m.path("at").asLong();
                    Instant startedAt = Instant.ofEpochMilli(at);
                    timings.put(task, new TaskTiming(task.toString(), startedAt, 0, -1, startedAt));
                    int pid = (int) m.path("pid").asLong();
                    Owner o = owner;
                    if (o != null && o.owns(task)) {
                        o.started(task, at, pid);
                    } else {
                        client.send(seq -> new TaskStarted(seq, task, at, pid));
                    }
                    LOGGER.atInfo().addKeyValue("task", task).addKeyValue("pid", pid).log("task started");
                }
                case "progress" -> {
                    TaskProgress p = new TaskProgress(task, (float) m.path("percent").asDouble(),
                            m.path("frame").asInt(-1), m.path("eta").asInt(-1), m.path("at").asLong());
                    timings.computeIfPresent(task, (k, t) -> new TaskTiming(t.task(), t.startedAt(), p.percent(),
                            p.etaSeconds(), Instant.ofEpochMilli(p.atMillis())));
                    client.offerProgress(p);
                }
                case "finished" -> {
                    int exit = m.path("exitCode").asInt();
                    Owner o = owner;
                    if (o != null && o.owns(task)) {
                        o.finished(task, exit, m.path("signal").asInt(), m.path("runtimeMillis").asLong(),
                                m.path("peakRssBytes").asLong(-1), m.path("at").asLong());
                    } else {
                        client.send(seq -> new TaskFinished(seq, task, exit, m.path("signal").asInt(),
                                m.path("runtimeMillis").asLong(), m.path("peakRssBytes").asLong(-1),
                                m.path("at").asLong()));
                    }
                    LOGGER.atInfo().addKeyValue("task", task).addKeyValue("exitCode", exit).log("task finished");
                    String log = m.path("log").asText("");
                    if (!log.isEmpty()) {
                        logs.accept(task, Path.of(log));
                    }
                    reportedFinished.add(task);
                    timings.remove(task);
                    if (running.remove(task) != null && running.isEmpty()) {
                        onIdle.run();
                    }
                }
                default -> LOGGER.atWarn().addKeyValue("type", m.path("type").asText())
                        .log("unknown message from drover-run; ignored");
            }
        } catch (IllegalArgumentException e) {
            // out-of-range ids or values: one bad report is dropped, the connection and the agent go on
            LOGGER.atWarn().log("invalid report from drover-run dropped: " + e.getMessage());
        }
    }
}
