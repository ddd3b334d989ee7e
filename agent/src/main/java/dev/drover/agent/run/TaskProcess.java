package dev.drover.agent.run;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The render command, started in a session (and so a process group) of its own, so that a signal reaches
 * everything it started — renderers often fork helpers — without reaching drover-run or whoever called it,
 * and the peak memory of the whole group can be measured from /proc.
 *
 * <p>Its own group means the blade's group kill no longer reaches the render directly, so drover-run must
 * make sure the render dies when drover-run dies, however it dies (a blade escalating to SIGKILL, the OOM
 * killer). Why a guard process, and not the alternatives:
 * <ul>
 * <li>staying in the caller's group would let the blade's kill through, but then drover-run cannot signal
 * the render without signalling itself and its caller (a script's whole group), and the OOM killer's
 * SIGKILL of drover-run alone would still leave the render running;</li>
 * <li>a parent-death signal ({@code PR_SET_PDEATHSIG}) reaches only the process it is set on, not the
 * render's own children; it is used here too, through {@code setpriv --pdeathsig KILL}, for the leader;</li>
 * <li>a subreaper only collects orphans while the subreaper lives, so it does nothing when drover-run
 * itself is killed.</li>
 * </ul>
 * The guard is a tiny {@code sh} in a session of its own (so the blade's group kill does not take it along)
 * that reads the render's group id from a pipe only drover-run holds. When drover-run finishes normally it
 * writes {@code done}; when drover-run dies any other way the kernel closes the pipe, the guard reads EOF and
 * KILLs the render's whole group.
 */
final class TaskProcess {
    private static final long PAGE_SIZE = 4096;
    // dash's kill builtin takes no "--", hence "-$pgid" right after the signal
    private static final String GUARD_SCRIPT = "IFS= read -r pgid || exit 0\n"
            + "IFS= read -r word\n"
            + "[ \"$word\" = done ] || kill -KILL -\"$pgid\" 2>/dev/null\n";
    private static final boolean SETPRIV = Files.isExecutable(Path.of("/usr/bin/setpriv"))
            || Files.isExecutable(Path.of("/bin/setpriv"));

    private final Process process;
    private final Process guard;
    private final OutputStream guardPipe;

    private TaskProcess(Process process, Process guard) {
        this.process = process;
        this.guard = guard;
        this.guardPipe = guard.getOutputStream();
    }

    /**
     * Starts the command. Must be called from a thread that lives as long as the render (the main thread):
     * the parent-death signal fires when the thread that created the child ends.
     *
     * @param stdinUsable false when our own fd 0 was closed when we started (so the JVM reused it for a file
     *     of its own): the render then reads /dev/null
     */
    static TaskProcess start(List<String> argv, boolean stdinUsable) throws IOException {
        Process guard = new ProcessBuilder("setsid", "sh", "-c", GUARD_SCRIPT)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        List<String> command = new ArrayList<>();
        if (SETPRIV) {
            command.addAll(List.of("setpriv", "--pdeathsig", "KILL"));
        }
        // A child of ours is never a process-group leader, so setsid(1) makes it one without forking:
        // the pid we get is the renderer's and its process group id.
        command.add("setsid");
        command.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(stdinUsable
                ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.from(new File("/dev/null")));
        // started by the root helper: the render gets the task's own variables back, in the task's directory,
        // entered here as the task's user
        ShelteredEnvironment.workingDir(System.getenv()).ifPresent(d -> pb.directory(new File(d)));
        ShelteredEnvironment.restore(pb.environment());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            guard.getOutputStream().close(); // EOF before a group id: the guard just exits
            throw e;
        }
        TaskProcess t = new TaskProcess(p, guard);
        t.tellGuard(p.pid() + "\n");
        t.awaitOwnSession();
        return t;
    }

    private void tellGuard(String text) {
        try {
            guardPipe.write(text.getBytes(StandardCharsets.US_ASCII));
            guardPipe.flush();
        } catch (IOException e) {
            // the guard died: the render still runs, only without the protection against our own death
        }
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
        if (!groupAlive()) {
            return;
        }
        long[] ids = groupAndSession(process.pid());
        if (ids != null && ids[0] != process.pid()) {
            process.destroy(); // not (yet) its own group: at least signal the process itself
            return;
        }
        try {
            new ProcessBuilder("kill", "-" + signal, "--", "-" + process.pid())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            process.destroy();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * After the leader has exited: whatever is left in its group (a helper that ignores TERM, a background
     * job) gets TERM, and KILL if still there after {@code graceMillis}. A render never outlives drover-run.
     */
    void stopLeftovers(long graceMillis) throws InterruptedException {
        if (!groupAlive()) {
            return;
        }
        signalGroup("TERM");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
        while (groupAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        if (groupAlive()) {
            signalGroup("KILL");
        }
    }

    /** Everything is over: the guard can go without killing anything. */
    void release() {
        tellGuard("done\n");
        try {
            guardPipe.close();
        } catch (IOException e) {
            // gone already
        }
        guard.onExit().orTimeout(2, TimeUnit.SECONDS);
    }

    /** True while any process is in the render's group (the leader included, until it is reaped). */
    boolean groupAlive() {
        return !groupMembers().isEmpty();
    }

    /** Pids in the render's process group right now. */
    List<Long> groupMembers() {
        long pgid = process.pid();
        List<Long> members = new ArrayList<>();
        for (long pid : allPids()) {
            long[] stat = statFields(Long.toString(pid));
            if (stat != null && stat[0] == pgid && stat[3] != 'Z') {
                members.add(pid);
            }
        }
        return members;
    }

    /** Resident memory of every process in the group right now, in bytes. */
    long groupRssBytes() {
        long pgid = process.pid();
        long total = 0;
        for (long pid : allPids()) {
            long[] stat = statFields(Long.toString(pid));
            if (stat != null && stat[0] == pgid) {
                total += stat[2] * PAGE_SIZE;
            }
        }
        return total;
    }

    private static List<Long> allPids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"),
                p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path p : procs) {
                pids.add(Long.parseLong(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            // /proc unreadable: report nothing rather than fail the render
        }
        return pids;
    }

    /** {pgrp, session} of a process, from /proc/pid/stat, or null if it is gone. */
    static long[] groupAndSession(long pid) {
        long[] f = statFields(Long.toString(pid));
        return f == null ? null : new long[] {f[0], f[1]};
    }

    /**
     * {pgrp, session, rss pages, state char} from /proc/pid/stat; the command name may contain spaces, so
     * parse after ')'.
     */
    private static long[] statFields(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after ") ": state(0) ppid(1) pgrp(2) session(3) ... rss is field 24 overall = index 21 here
            return new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[21]), f[0].charAt(0)};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
