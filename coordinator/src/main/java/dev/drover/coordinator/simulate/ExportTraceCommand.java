package dev.drover.coordinator.simulate;

import dev.drover.coordinator.store.RunHistory;
import dev.drover.coordinator.store.StoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code drover-coordinator export-trace}: a simulator trace of the farm's own history, from the built-in
 * queue's jobs and task runs in a coordinator's store. Read-only; fine while the coordinator runs. Exits 2 on
 * a bad option or an unusable store, naming the option.
 */
@Command(name = "export-trace", mixinStandardHelpOptions = true,
        description = "Write the built-in queue's history as a simulator trace (job,submit_s,runtime_s,service).")
public final class ExportTraceCommand implements Callable<Integer> {
    /** Open ends of the window: all of a store's history fits between them. */
    private static final Instant EARLIEST = Instant.EPOCH;
    private static final Instant LATEST = Instant.ofEpochMilli(Long.MAX_VALUE);

    @Spec
    CommandSpec spec;

    @Option(names = "--store", required = true, paramLabel = "PATH",
            description = "The coordinator's store file (store.path in its config).")
    Path store;

    @Option(names = "--since", paramLabel = "WHEN",
            description = "Jobs submitted at or after this ISO-8601 instant (2026-11-29T18:00:00Z) or UTC date.")
    String since;

    @Option(names = "--until", paramLabel = "WHEN", description = "Jobs submitted before this instant or UTC date.")
    String until;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the trace here (default: standard output).")
    Path out;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            Instant from = since == null ? EARLIEST : instant("--since", since);
            Instant to = until == null ? LATEST : instant("--until", until);
            if (!from.isBefore(to)) {
                throw new IllegalArgumentException("--since " + since + " is not before --until " + until);
            }
            List<RunHistory.TaskLine> tasks;
            try {
                tasks = RunHistory.tasks(store, from, to);
            } catch (StoreException e) {
                throw new IllegalArgumentException("--store: " + e.getMessage(), e);
            }
            String window = (since == null ? "from the start of the history" : "from " + from)
                    + (until == null ? " on" : " until before " + to);
            List<String> lines = TraceExport.lines(store.toString(), window, tasks);
            if (out == null) {
                PrintWriter o = spec.commandLine().getOut();
                lines.forEach(o::println);
                o.flush();
            } else {
                Files.write(out, lines, StandardCharsets.UTF_8);
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("export-trace: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("export-trace: --out " + out + ": cannot write: " + e.getMessage());
            return 1;
        }
    }

    /** An ISO-8601 instant, or a date taken as its midnight UTC. */
    static Instant instant(String option, String value) {
        try {
            return value.contains("T") ? Instant.parse(value) : LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC)
                    .toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " '" + value + "' is not an ISO-8601 instant"
                    + " (2026-11-29T18:00:00Z) or date (2026-11-29)");
        }
    }
}
