package dev.drover.agent.runtask;

import dev.drover.protocol.TaskRef;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Starts drover-run for a task and signals the processes of tasks: in this process ({@link LocalTaskStarter})
 * or through the root helper, which switches the task to {@code tasks.runAs} so the agent needs no
 * CAP_SETUID/CAP_KILL.
 */
public interface TaskStarter {
    /**
     * Starts {@code command} with exactly {@code env}, in {@code workingDir} ("" = inherited). Called from
     * the launcher's one long-lived thread (a parent-death signal fires when the creating thread ends).
     */
    TaskHandle start(TaskRef task, List<String> command, Map<String, String> env, String workingDir)
            throws IOException;

    /**
     * TERM (or KILL) to one process of a task left by a previous agent process, named by pid and start time so
     * a later process given the same pid is never hit. Best effort: a process already gone is no error.
     */
    void signal(long pid, long startTicks, boolean kill);

    /** Whether commands given to {@link #start} must carry their own user switch (setpriv) already. */
    boolean switchesUserItself();
}
