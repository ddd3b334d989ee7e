package dev.drover.agent.run;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The render command, started in a session (and so a process group) of its own through {@code setsid}, so
 * that a signal reaches everything it started — renderers often fork helpers — and the peak memory of the
 * whole group can be measured from /proc.
 */
final class TaskProcess {
    private static final long PAGE_SIZE = 4096;

    private final Process process;

    private TaskProcess(Process process) {
        this.process = process;
    }

    static TaskProcess start(List<String> argv) throws IOException {
        List<String> command = new ArrayList<>();
        // A child of ours is never a process-group leader, so setsid(1) makes it one without forking:
        // the pid we get is the renderer's and its process group id.
        command.add("setsid");
        command.addAll(argv);
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT).start();
        TaskProcess t = new TaskProcess(p);
        t.awaitOwnSession();
        return t;
    }

    /** Waits (briefly) until setsid has made the child a session leader, so group signals cannot hit us. */
    private void awaitOwnSession() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline && process.isAlive()) {
            long[] ids = groupAndSession(process.pid());
            if (ids != null && ids[1] == process.pid()) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    Process process() {
        return process;
    }

    long pid() {
        return process.pid();
    }

    /** Sends a signal to the whole process group: {@code kill -SIG -- -pgid}. */
    void signalGroup(String signal) {
        long[] ids = groupAndSession(process.pid());
        if (ids == null || ids[0] != process.pid()) {
            process.destroy(); // not (yet) its own group: at least signal the process itself
            return;
        }
        try {
            new ProcessBuilder("kill", "-" + signal, "--", "-" + process.pid()).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            process.destroy();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Resident memory of every process in the group right now, in bytes. */
    long groupRssBytes() {
        long pgid = process.pid();
        long total = 0;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"),
                p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path p : procs) {
                long[] stat = statFields(p.getFileName().toString());
                if (stat != null && stat[0] == pgid) {
                    total += stat[2] * PAGE_SIZE;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return total;
    }

    /** {pgrp, session} of a process, from /proc/pid/stat, or null if it is gone. */
    static long[] groupAndSession(long pid) {
        long[] f = statFields(Long.toString(pid));
        return f == null ? null : new long[] {f[0], f[1]};
    }

    /** {pgrp, session, rss pages} from /proc/pid/stat; the command name may contain spaces, so parse after ')'. */
    private static long[] statFields(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after ") ": state(0) ppid(1) pgrp(2) session(3) ... rss is field 24 overall = index 21 here
            return new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[21])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
