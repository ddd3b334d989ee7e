package dev.drover.agent.runtask;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One process as /proc/&lt;pid&gt;/stat shows it (proc(5)). The start time, in clock ticks since boot, tells a
 * process from a later one that was given the same pid, so a recorded task is never confused with a stranger.
 */
public record ProcStat(long pid, char state, long ppid, long pgrp, long session, long startTicks) {

    /** Still running: zombies ('Z') and dead entries ('X') have ended and only wait to be reaped. */
    public boolean alive() {
        return state != 'Z' && state != 'X';
    }

    public static Optional<ProcStat> of(long pid) {
        try {
            return Optional.of(parse(pid, Files.readString(Path.of("/proc", Long.toString(pid), "stat"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // gone, or not Linux
        }
    }

    /** Start time of a live process, or -1 when it is gone. */
    public static long startTicksOf(long pid) {
        return of(pid).filter(ProcStat::alive).map(ProcStat::startTicks).orElse(-1L);
    }

    /** The command name may hold spaces and parentheses, so fields are counted after the last ')'. */
    static ProcStat parse(long pid, String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // state(3) ppid(4) pgrp(5) session(6) ... starttime(22), numbered as in proc(5)
        return new ProcStat(pid, f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                Long.parseLong(f[19]));
    }

    /** Every process visible now. */
    public static List<ProcStat> all() {
        List<ProcStat> out = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"),
                p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path p : procs) {
                of(Long.parseLong(p.getFileName().toString())).ifPresent(out::add);
            }
        } catch (IOException e) {
            // no /proc: nothing can be found
        }
        return out;
    }
}
