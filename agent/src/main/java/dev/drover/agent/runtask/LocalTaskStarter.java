package dev.drover.agent.runtask;

import dev.drover.agent.run.ShelteredEnvironment;
import dev.drover.protocol.TaskRef;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** drover-run as a child of the agent: the agent must be root (or hold CAP_SETUID/CAP_KILL) to switch users. */
public final class LocalTaskStarter implements TaskStarter {
    @Override
    public TaskHandle start(TaskRef task, List<String> command, Map<String, String> env, String workingDir)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        // the command starts with setpriv switching users as root: as with the root helper, it gets a fixed
        // environment in /, and drover-run gives the render the task's variables and directory as the task's user
        ShelteredEnvironment.applyTo(pb, env, workingDir);
        Process process = pb.start();
        long ticks = ProcStat.startTicksOf(process.pid());
        return new TaskHandle() {
            @Override
            public long pid() {
                return process.pid();
            }

            @Override
            public long startTicks() {
                return ticks;
            }

            @Override
            public CompletableFuture<Void> onExit() {
                return process.onExit().thenApply(p -> null);
            }

            @Override
            public int exitValue() {
                return process.exitValue();
            }

            @Override
            public void terminate() {
                process.destroy();
            }

            @Override
            public void kill() {
                process.destroyForcibly();
            }
        };
    }

    @Override
    public void signal(long pid, long startTicks, boolean kill) {
        if (ProcStat.startTicksOf(pid) != startTicks) {
            return; // gone, or the pid now belongs to someone else
        }
        ProcessHandle.of(pid).ifPresent(h -> {
            if (kill) {
                h.destroyForcibly();
            } else {
                h.destroy();
            }
        });
    }

    @Override
    public boolean switchesUserItself() {
        return false;
    }
}
