package dev.drover.agent.run;

import dev.drover.agent.AgentVersion;
import dev.drover.agent.local.LocalMessages;
import dev.drover.agent.run.progress.Parsers;
import dev.drover.agent.run.progress.Progress;
import dev.drover.agent.run.progress.ProgressParser;
import dev.drover.protocol.TaskRef;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code drover-run [options] -- command [args...]}: what TDs put in front of a render command in a Tractor
 * job. Runs the command in its own process group, passes its output through unchanged, prints
 * {@code TR_PROGRESS} for the blade, reports start, progress and finish to the local agent, forwards
 * SIGTERM/SIGINT/SIGHUP to the group, and exits with the command's exit code (128+n for signal n). Without
 * an agent the render runs exactly as it would without the wrapper. The render never outlives drover-run
 * ({@link TaskProcess}), and a signal that comes before the render started means it is not started.
 */
public final class DroverRunMain implements Callable<Integer> {
    static final String DEFAULT_SOCKET = "/run/drover/agent.sock";
    static final String DEFAULT_LOG_DIR = "/var/spool/drover/tasks";
    /** After the leader exits, what is left of its group has this long after TERM before KILL. */
    static final long LEFTOVER_GRACE_MILLIS = 2_000;
    private static final long PUMP_JOIN_MILLIS = 2_000;

    private final Long jid;
    private final Integer tid;
    private final Integer cid;
    private final String parser;
    private final Path agentSocket;
    private final Path capture;
    private final List<String> command;

    DroverRunMain(RunOptions o) {
        this.jid = o.jid();
        this.tid = o.tid();
        this.cid = o.cid();
        this.parser = o.parser();
        this.agentSocket = o.agentSocket();
        this.capture = o.capture();
        this.command = o.command();
    }

    public static void main(String[] args) throws Exception {
        RunSignals.install(); // first of all: a TERM from now on is never lost
        RunOptions options;
        try {
            options = RunOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("drover-run: " + e.getMessage());
            System.err.print(RunOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.print(RunOptions.USAGE);
            System.exit(0);
        }
        if (options.version()) {
            System.out.println("drover-run " + AgentVersion.VERSION);
            System.exit(0);
        }
        System.exit(new DroverRunMain(options).call());
    }

    @Override
    public Integer call() throws Exception {
        ProgressParser progressParser;
        try {
            progressParser = Parsers.choose(parser, command);
        } catch (IllegalArgumentException e) {
            System.err.println("drover-run: " + e.getMessage());
            return 2;
        }
        TaskRef task = taskRef();
        Path logFile = capture != null ? capture : defaultCapture(task);
        OutputStream captureStream = openCapture(logFile);
        String log = captureStream != null ? logFile.toAbsolutePath().toString() : null;
        PrintStream stdout = new PrintStream(new FileOutputStream(java.io.FileDescriptor.out), false);
        PrintStream stderr = new PrintStream(new FileOutputStream(java.io.FileDescriptor.err), false);
        OutputPump.TaskOutput out = new OutputPump.TaskOutput(stdout, stderr, captureStream);
        ProgressPrinter printer = new ProgressPrinter(out);
        AtomicBoolean noticeShown = new AtomicBoolean();
        PendingLine notice = new PendingLine(out);
        LocalAgentClient agent = new LocalAgentClient(socketPath(), text -> {
            if (noticeShown.compareAndSet(false, true)) {
                notice.set(text);
            }
        });

        long startNanos = System.nanoTime();
        TaskProcess proc;
        boolean stdinUsable = StdinCheck.usable();
        try {
            proc = RunSignals.startUnlessSignalled(() -> TaskProcess.start(command, stdinUsable));
        } catch (IOException e) {
            // also into the task's log: started by the agent, our stderr goes nowhere (a directory the task's
            // user may not enter ends here too)
            byte[] why = ("drover-run: cannot start " + command.get(0) + ": " + e.getMessage() + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.write(false, why, why.length);
            if (captureStream != null) {
                captureStream.close();
            }
            closeQuietly(agent);
            return 127; // the shell's "command not found"
        }
        if (proc == null) {
            closeQuietly(agent);
            return 128 + RunSignals.received(); // signalled before the render started: it never will
        }
        if (task != null) {
            agent.send(LocalMessages.started(task, proc.pid(), System.currentTimeMillis(), log));
        }

        AtomicLong peakRss = new AtomicLong(-1);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "drover-run-timer");
            t.setDaemon(true);
            return t;
        });
        Runnable atLineStart = () -> {
            try {
                printer.flush(System.nanoTime());
                notice.flush();
            } catch (IOException e) {
                // our stdout is gone; nothing useful to do
            }
        };
        timer.scheduleAtFixedRate(atLineStart, 250, 250, TimeUnit.MILLISECONDS);
        // Peak memory of the group: a /proc scan, so once a second is enough.
        timer.scheduleAtFixedRate(() -> peakRss.accumulateAndGet(proc.groupRssBytes(), Math::max), 0, 1,
                TimeUnit.SECONDS);

        java.util.function.Consumer<String> onLine = line -> progressParser.accept(line).ifPresent(p -> {
            onProgress(p, printer, agent, task);
        });
        Thread outPump = new Thread(new OutputPump(proc.process().getInputStream(), out, true, onLine, atLineStart),
                "stdout");
        Thread errPump = new Thread(new OutputPump(proc.process().getErrorStream(), out, false, onLine), "stderr");
        outPump.start();
        errPump.start();

        int exitCode = proc.process().waitFor();
        // Whatever the leader left in its group goes too, so no part of a render outlives drover-run.
        proc.stopLeftovers(LEFTOVER_GRACE_MILLIS);
        outPump.join(PUMP_JOIN_MILLIS);
        errPump.join(PUMP_JOIN_MILLIS);
        proc.release();
        timer.shutdownNow();
        printer.finish(System.nanoTime());
        notice.flush();
        long runtime = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        if (captureStream != null) {
            captureStream.close(); // complete before the agent copies it for upload
        }
        if (task != null) {
            int signal = exitCode > 128 && exitCode < 160 ? exitCode - 128 : 0;
            agent.send(LocalMessages.finished(task, exitCode, signal, runtime, peakRss.get(), System.currentTimeMillis(),
                    log));
            // a moment, never more, and nothing at all when no agent listens: the blade must not wait for us
            agent.closeAndDrain(1000);
        }
        agent.close();
        stdout.flush();
        return exitCode;
    }

    private static void closeQuietly(LocalAgentClient agent) {
        agent.close();
    }

    private static void onProgress(Progress p, ProgressPrinter printer, LocalAgentClient agent, TaskRef task) {
        try {
            printer.offer(p.percent(), System.nanoTime());
        } catch (IOException e) {
            // stdout gone
        }
        if (task != null) {
            agent.progress(task, p);
        }
    }

    /** Under Tractor, capture into the task log directory when it exists and is writable; else no capture. */
    private static Path defaultCapture(TaskRef task) {
        if (task == null) {
            return null;
        }
        String env = ShelteredEnvironment.getenv(System.getenv(), "DROVER_TASK_LOG_DIR");
        Path dir = Path.of(env != null && !env.isBlank() ? env : DEFAULT_LOG_DIR);
        if (!java.nio.file.Files.isDirectory(dir) || !java.nio.file.Files.isWritable(dir)) {
            return null;
        }
        return dir.resolve(task.jid() + "." + task.tid() + "." + task.cid() + "." + ProcessHandle.current().pid()
                + ".log");
    }

    /** A capture file that cannot be opened must not stop the render. */
    private static OutputStream openCapture(Path file) {
        if (file == null) {
            return null;
        }
        try {
            return new java.io.BufferedOutputStream(new FileOutputStream(file.toFile()), 64 * 1024);
        } catch (IOException e) {
            System.err.println("drover-run: cannot capture output to " + file + ": " + e.getMessage());
            return null;
        }
    }

    private TaskRef taskRef() {
        Long j = jid != null ? jid : envLong("TR_ENV_JID");
        Long t = tid != null ? Long.valueOf(tid) : envLong("TR_ENV_TID");
        Long c = cid != null ? Long.valueOf(cid) : envLong("TR_ENV_CID");
        if (j == null || t == null || j < 0 || t < 0) {
            return null; // not under Tractor and no ids given: run and print progress, report nothing
        }
        return new TaskRef(j, t.intValue(), c != null && c >= 0 ? c.intValue() : 0);
    }

    private static Long envLong(String name) {
        try {
            String v = ShelteredEnvironment.getenv(System.getenv(), name);
            return v == null || v.isBlank() ? null : Long.valueOf(v.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private Path socketPath() {
        if (agentSocket != null) {
            return agentSocket;
        }
        String env = ShelteredEnvironment.getenv(System.getenv(), "DROVER_AGENT_SOCKET");
        return Path.of(env != null && !env.isBlank() ? env : DEFAULT_SOCKET);
    }

    /** A notice from the agent, printed once at the next line boundary of the task's output. */
    private static final class PendingLine {
        private final OutputPump.TaskOutput out;
        private String text;

        PendingLine(OutputPump.TaskOutput out) {
            this.out = out;
        }

        synchronized void set(String text) {
            this.text = text;
        }

        synchronized void flush() throws IOException {
            if (text != null && out.writeLine(text, false)) {
                text = null;
            }
        }
    }
}
