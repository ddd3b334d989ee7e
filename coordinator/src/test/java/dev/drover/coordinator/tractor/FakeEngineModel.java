package dev.drover.coordinator.tractor;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fake engine's jobs, tasks and blades (specs/tractor-and-cyclecloud.md §1.3, §3 table fields), kept apart
 * from its HTTP side. A job may also hold "bulk" ready tasks — counted in the Job table like any other, but never
 * dispatched — so a benchmark can queue a million tasks without a million objects.
 */
final class FakeEngineModel {
    private static final Pattern JOB_SELECT = Pattern.compile("^tractorselect\\('Job','\\(numready > 0 or numactive > 0\\)"
            + " and jid > (\\d+)','jid,service,numready,numactive','jid',(\\d+),'f','None'\\)$");

    /** One task; {@code rev} counts its attempts (cid.rev, §2.2). */
    static final class Task {
        final long jid;
        final int tid;
        final String service;
        final JsonArray argv;
        volatile String state;
        volatile String blade = "";
        volatile int rev;
        /** Attempts the engine recorded as done: a task is rendered exactly once when this ends at 1. */
        final java.util.concurrent.atomic.AtomicInteger completions = new java.util.concurrent.atomic.AtomicInteger();
        final List<String> ranOn = new CopyOnWriteArrayList<>();

        Task(long jid, int tid, String service, String state, JsonArray argv) {
            this.jid = jid;
            this.tid = tid;
            this.service = service;
            this.state = state;
            this.argv = argv;
        }
    }

    /** A job: its service-key expression (the job-level key, §1.5) and its tasks. */
    static final class Job {
        final long jid;
        final String service;
        final Map<Integer, Task> tasks = new ConcurrentSkipListMap<>();
        volatile int bulkReady;

        Job(long jid, String service) {
            this.jid = jid;
            this.service = service;
        }

        int count(String state) {
            int n = (int) tasks.values().stream().filter(t -> t.state.equals(state)).count();
            return state.equals("ready") ? n + bulkReady : n;
        }
    }

    /** One blade as the engine tracks it; {@code host} exactly as the blade registered it. */
    static final class Blade {
        final String host;
        final String addr;
        volatile long heartbeatEpochSeconds;
        volatile String nimby = "";
        volatile int slots = 1;
        volatile Set<String> serviceKeys = Set.of();

        Blade(String host, String addr) {
            this.host = host;
            this.addr = addr;
        }
    }

    final Map<Long, Job> jobs = new ConcurrentSkipListMap<>();
    final Map<String, Blade> blades = new ConcurrentHashMap<>();

    Job job(long jid, String service) {
        return jobs.computeIfAbsent(jid, j -> new Job(j, service));
    }

    Task task(long jid, int tid) {
        Job j = jobs.get(jid);
        Task t = j == null ? null : j.tasks.get(tid);
        if (t == null) {
            throw new IllegalArgumentException("no task " + jid + "/" + tid);
        }
        return t;
    }

    java.util.stream.Stream<Task> tasks() {
        return jobs.values().stream().flatMap(j -> j.tasks.values().stream());
    }

    long activeOn(String host) {
        return tasks().filter(t -> t.state.equals("active") && t.blade.equals(host)).count();
    }

    /**
     * The one Job-table query Drover sends (the form is fixed, so anything else is refused rather than guessed at):
     * jobs with ready or active tasks after a jid, in jid order, at most {@code limit}.
     */
    JsonObject selectJobs(String q) {
        Matcher m = JOB_SELECT.matcher(q);
        if (!m.matches()) {
            throw new FakeTractorEngine.EngineError(400, 1, "fake engine supports only Drover's Job select, got " + q);
        }
        long after = Long.parseLong(m.group(1));
        int limit = Integer.parseInt(m.group(2));
        JsonArray rows = new JsonArray();
        for (Job j : ((ConcurrentSkipListMap<Long, Job>) jobs).tailMap(after, false).values()) {
            int ready = j.count("ready");
            int active = j.count("active");
            if (ready > 0 || active > 0) {
                rows.add(new JsonObject().put("jid", j.jid).put("service", j.service).put("numready", ready)
                        .put("numactive", active));
                if (rows.size() == limit) {
                    break;
                }
            }
        }
        return new JsonObject().put("rc", 0).put("rows", rows);
    }

    /** The next ready task a blade with these keys may run (keys case-insensitive, §1.5), oldest job first. */
    Task nextFor(Blade b) {
        return tasks().filter(x -> x.state.equals("ready"))
                .filter(x -> b.serviceKeys.isEmpty() || b.serviceKeys.contains(lower(x.service)))
                .min(Comparator.comparingLong((Task x) -> x.jid).thenComparingInt(x -> x.tid)).orElse(null);
    }

    /**
     * A blade named in a control call: {@code host}, {@code host/addr} or {@code host:port} (§1.4). The engine is
     * taken to match the name exactly as the blade registered it; an address part must be the blade's.
     */
    Blade blade(String id) {
        String[] parts = id.split("/", 2);
        String host = parts[0];
        if (parts.length == 1 && host.indexOf(':') == host.lastIndexOf(':') && host.indexOf(':') > 0) {
            host = host.substring(0, host.indexOf(':'));
        }
        Blade b = blades.get(host);
        String addr = parts.length == 2 ? parts[1].split(":")[0] : null;
        if (b == null || addr != null && !addr.equals(b.addr)) {
            throw new FakeTractorEngine.EngineError(404, 1, "no such blade " + id);
        }
        return b;
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
