package dev.drover.agent.health;

/** Parsers for the Linux /proc files the host sampler reads. Pure, so they are tested on captured text. */
final class ProcParsers {
    private ProcParsers() {
    }

    /** CPU jiffies from the aggregate {@code cpu} line of /proc/stat: {idle + iowait, total}. */
    static long[] cpuTimes(String procStat) {
        for (String line : procStat.split("\n")) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < f.length && i <= 8; i++) { // user..steal; guest is already in user
                    total += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
                return new long[] {idle, total};
            }
        }
        throw new IllegalArgumentException("no aggregate cpu line in /proc/stat");
    }

    /** CPU busy percentage between two {@link #cpuTimes} samples. */
    static float cpuPercent(long[] before, long[] after) {
        long total = after[1] - before[1];
        long idle = after[0] - before[0];
        if (total <= 0) {
            return 0f;
        }
        float busy = 100f * (total - idle) / total;
        return Math.max(0f, Math.min(100f, busy));
    }

    /** The 1-minute load average from /proc/loadavg. */
    static float load1(String loadavg) {
        return Float.parseFloat(loadavg.trim().split("\\s+")[0]);
    }

    /** A /proc/meminfo value in bytes (the file says kB), or -1 if the key is missing. */
    static long meminfoBytes(String meminfo, String key) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith(key + ":")) {
                String[] f = line.substring(key.length() + 1).trim().split("\\s+");
                return Long.parseLong(f[0]) * 1024L;
            }
        }
        return -1;
    }

    /** The soft "Max open files" limit from /proc/self/limits; -1 for unlimited or missing. */
    static long openFileLimit(String limits) {
        for (String line : limits.split("\n")) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return "unlimited".equals(soft) ? -1 : Long.parseLong(soft);
            }
        }
        return -1;
    }
}
