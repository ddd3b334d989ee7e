package dev.drover.coordinator.faults;

import dev.drover.protocol.EvictionNotice;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.RunTask;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares the simulated agents' ledgers (every reliable event each sent) and the task side effects with what
 * the coordinator's HTTP API showed before a crash and shows after it: applied, lost, applied twice.
 */
final class LedgerCheck {
    private final Api api;
    private final SimFleet fleet;
    private final TaskMarks marks;
    private final List<String> realTasks;
    private final int queued;

    LedgerCheck(Api api, SimFleet fleet, TaskMarks marks, List<String> realTasks, int queued) {
        this.api = api;
        this.fleet = fleet;
        this.marks = marks;
        this.realTasks = realTasks;
        this.queued = queued;
    }

    /** Every simulated node's details, fetched 16 at a time. */
    Map<String, JsonObject> nodeDetails() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
        try {
            Map<String, java.util.concurrent.Future<JsonObject>> futures = new HashMap<>();
            for (SimAgent a : fleet.agents) {
                futures.put(a.nodeId, pool.submit(() -> api.node(a.nodeId).orElse(null)));
            }
            Map<String, JsonObject> out = new HashMap<>();
            for (Map.Entry<String, java.util.concurrent.Future<JsonObject>> e : futures.entrySet()) {
                JsonObject n = e.getValue().get();
                if (n != null) {
                    out.put(e.getKey(), n);
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** What the API shows against what the ledgers say was sent. */
    static final class Verdict {
        long sent;
        long applied;
        final List<String> lost = new ArrayList<>();
        final List<String> duplicated = new ArrayList<>();
        final List<String> notDone = new ArrayList<>();
        final List<String> simTwice = new ArrayList<>();
        long queueTasks;
        long realExecutions;
        long stillEvicting;
        long stillEvictingAckedBeforeCrash;

        void lost(String s) {
            if (lost.size() < 20) {
                lost.add(s);
            }
            lostCount++;
        }

        void duplicated(String s) {
            if (duplicated.size() < 20) {
                duplicated.add(s);
            }
            dupCount++;
        }

        long lostCount;
        long dupCount;
        /**
         * Applied (the effect is there: a finished task no longer runs, an evicting node is Evicting) but its
         * history is not shown after the restart: the timeline and the finished-task records of tasks the
         * built-in queue does not own are not kept in the store. Reported, not counted as lost.
         */
        final List<String> historyGone = new ArrayList<>();
        long historyGoneCount;

        void historyGone(String s) {
            if (historyGone.size() < 20) {
                historyGone.add(s);
            }
            historyGoneCount++;
        }
        /** per reliable message type: sent, applied, lost, duplicated */
        final Map<String, long[]> byType = new java.util.TreeMap<>();

        void count(Reliable r, long applied0, long lost0, long dup0) {
            long[] c = byType.computeIfAbsent(r.getClass().getSimpleName(), k -> new long[4]);
            c[0]++;
            c[1] += applied - applied0;
            c[2] += lostCount - lost0;
            c[3] += dupCount - dup0;
        }

        String byTypeText() {
            StringBuilder b = new StringBuilder();
            byType.forEach((k, c) -> b.append(b.length() == 0 ? "" : ",").append(k).append(':').append(c[0]).append('/')
                    .append(c[1]).append('/').append(c[2]).append('/').append(c[3]));
            return b.toString();
        }
    }

    Verdict verify(Map<String, JsonObject> before, List<JsonObject> queueBefore, List<JsonObject> timelineBefore, List<Integer> evictedBefore,
            List<Integer> evictedAtCrash) throws Exception {
        Map<String, JsonObject> after = nodeDetails();
        Verdict v = new Verdict();
        // built-in queue tasks as either coordinator life showed them: "jid/tid/cid" -> states seen
        Map<String, Set<String>> queueStates = new HashMap<>();
        List<JsonObject> queueSeen = new ArrayList<>(queueBefore);
        queueSeen.addAll(api.queueTasks());
        for (JsonObject t : queueSeen) {
            queueStates.computeIfAbsent(t.getLong("jid") + "/" + t.getInteger("tid") + "/" + t.getInteger("cid"),
                    k -> new HashSet<>()).add(t.getString("state"));
        }
        // evictions per node over both coordinator lives (a timeline the restart kept appears in both)
        Map<String, Set<String>> evictionEvents = new HashMap<>();
        List<JsonObject> timeline = new ArrayList<>(timelineBefore);
        timeline.addAll(api.timeline());
        for (JsonObject e : timeline) {
            if (e.getString("kind", "").contains("evict") && e.getString("node", "").startsWith("sim-")) {
                evictionEvents.computeIfAbsent(e.getString("node"), k -> new HashSet<>())
                        .add(e.getString("at") + "|" + e.getString("message"));
            }
        }
        Map<TaskRef, Integer> simExecutions = new HashMap<>();
        for (SimAgent a : fleet.agents) {
            JsonObject node = after.get(a.nodeId);
            List<Reliable> ledger = a.ledgerCopy();
            v.sent += ledger.size();
            if (node == null) {
                ledger.forEach(r -> v.lost(a.nodeId + " (node absent) " + r));
                continue;
            }
            Map<String, List<JsonObject>> shownBefore = tasksShown(before.get(a.nodeId));
            Map<String, List<JsonObject>> shownAfter = tasksShown(node);
            for (Reliable r : ledger) {
                long applied0 = v.applied;
                long lost0 = v.lostCount;
                long dup0 = v.dupCount;
                if (r instanceof TaskStarted s && s.task().jid() == SimAgent.OWN_JID) {
                    String k = key(s.task());
                    List<JsonObject> b = shownBefore.getOrDefault(k, List.of());
                    List<JsonObject> c = shownAfter.getOrDefault(k, List.of());
                    if (b.isEmpty() && c.isEmpty()) {
                        v.lost(a.nodeId + " " + r);
                    } else {
                        v.applied++;
                    }
                    if (b.size() > 1 || c.size() > 1) {
                        v.duplicated(a.nodeId + " shown " + b.size() + "x before, " + c.size() + "x after: " + r);
                    }
                } else if (r instanceof TaskFinished fin && fin.task().jid() == SimAgent.OWN_JID) {
                    String k = key(fin.task());
                    List<JsonObject> b = shownBefore.getOrDefault(k, List.of());
                    List<JsonObject> c = shownAfter.getOrDefault(k, List.of());
                    if (finished(b, fin) || finished(c, fin)) {
                        v.applied++;
                    } else if (c.isEmpty()) {
                        // no longer running on the node after the restart (the effect), but no record of the finish
                        v.applied++;
                        v.historyGone(a.nodeId + " " + r + " shown before " + b + ", not at all after");
                    } else {
                        v.lost(a.nodeId + " " + r + " shown before " + b + " after " + c);
                    }
                    if (c.stream().anyMatch(t -> !"FINISHED".equals(t.getString("state")))) {
                        v.duplicated(a.nodeId + " finished task shown running after the restart: " + c);
                    }
                } else if (r instanceof TaskStarted s) {
                    // a built-in queue task: applied if either queue showed it taken or done
                    Set<String> states = queueStates.getOrDefault(key(s.task()), Set.of());
                    if (states.contains("ACTIVE") || states.contains("DONE")) {
                        v.applied++;
                    } else {
                        v.lost(a.nodeId + " " + r + " queue states " + states);
                    }
                } else if (r instanceof TaskFinished fin) {
                    if (queueStates.getOrDefault(key(fin.task()), Set.of()).contains("DONE")) {
                        v.applied++;
                    } else {
                        v.lost(a.nodeId + " " + r + " queue states " + queueStates.get(key(fin.task())));
                    }
                } else if (r instanceof EvictionNotice) {
                    int count = evictionEvents.getOrDefault(a.nodeId, Set.of()).size();
                    boolean evicting = "EVICTING".equals(node.getString("state")) && node.getValue("eviction") != null;
                    if (evicting) {
                        v.stillEvicting++;
                        if (evictedBefore.contains(a.index)) {
                            v.stillEvictingAckedBeforeCrash++;
                        }
                    }
                    if (!evicting) {
                        v.lost(a.nodeId + " eviction: state " + node.getString("state") + ", timeline " + count);
                    } else {
                        v.applied++;
                        if (count == 0) {
                            v.historyGone(a.nodeId + " eviction applied (EVICTING) but not in the timeline");
                        }
                    }
                    if (count > 1) {
                        v.duplicated(a.nodeId + " eviction in timeline " + count + "x: "
                                + evictionEvents.get(a.nodeId));
                    }
                }
                v.count(r, applied0, lost0, dup0);
            }
            synchronized (a) {
                for (RunTask run : a.executed) {
                    simExecutions.merge(run.task(), 1, Integer::sum);
                }
            }
        }
        simExecutions.forEach((t, n) -> {
            if (n > 1) {
                v.simTwice.add(t + " x" + n);
            }
        });
        for (JsonObject t : api.queueTasks()) {
            v.queueTasks++;
            TaskRef ref = new TaskRef(t.getLong("jid"), t.getInteger("tid"), t.getInteger("cid"));
            String title = t.getString("title");
            boolean done = "DONE".equals(t.getString("state")) && t.getInteger("attempts") == 1;
            if (title.startsWith("burst-")) {
                // no agent ever enrols in the burst pool: still queued, never taken
                done = "READY".equals(t.getString("state")) && t.getInteger("attempts") == 0;
            } else if (title.startsWith("real-task-")) {
                done = done && marks.runs(title).size() == 1;
            } else {
                done = done && simExecutions.getOrDefault(ref, 0) == 1;
            }
            if (!done && v.notDone.size() < 30) {
                v.notDone.add(title + " " + t.getString("state") + " attempts " + t.getInteger("attempts")
                        + " sims " + simExecutions.getOrDefault(ref, 0));
            }
        }
        for (String r : realTasks) {
            v.realExecutions += marks.runs(r).size();
        }
        if (v.queueTasks != queued) {
            v.notDone.add("queue shows " + v.queueTasks + " tasks, " + queued + " were queued");
        }
        return v;
    }

    private static boolean finished(List<JsonObject> shown, TaskFinished fin) {
        return shown.stream().anyMatch(t -> "FINISHED".equals(t.getString("state"))
                && Integer.valueOf(fin.exitCode()).equals(t.getInteger("exitCode"))
                && Long.valueOf(fin.runtimeMillis()).equals(t.getLong("runtimeMillis")));
    }

    /** A node's current and recent tasks by jid/tid/cid (several entries for one task = shown twice). */
    private static Map<String, List<JsonObject>> tasksShown(JsonObject node) {
        Map<String, List<JsonObject>> shown = new HashMap<>();
        if (node == null) {
            return shown;
        }
        for (String field : List.of("currentTasks", "recentTasks")) {
            for (JsonObject t : Api.objects(node.getJsonArray(field))) {
                shown.computeIfAbsent(t.getLong("jid") + "/" + t.getInteger("tid") + "/" + t.getInteger("cid"),
                        k -> new ArrayList<>()).add(t);
            }
        }
        return shown;
    }

    private static String key(TaskRef t) {
        return t.jid() + "/" + t.tid() + "/" + t.cid();
    }
}
