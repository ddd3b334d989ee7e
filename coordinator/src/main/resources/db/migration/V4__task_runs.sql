-- Each ended run of a built-in queue task (queue/TaskRun.java): where it ran and how it ended, written in the same
-- transaction as the task's new state. What `drover-coordinator export-trace` turns into a simulator trace.
-- Kept for QueueStore.RUN_RETENTION (30 days) after it ended; older rows are pruned as new ones come.
CREATE TABLE task_runs (
    jid         INTEGER NOT NULL,
    tid         INTEGER NOT NULL,
    cid         INTEGER NOT NULL,
    node        TEXT NOT NULL,
    pool        TEXT NOT NULL,
    service_key TEXT NOT NULL,
    started_at  INTEGER NOT NULL,            -- the coordinator sent RunTask (epoch ms)
    finished_at INTEGER NOT NULL,            -- the coordinator applied the end
    exit_code   INTEGER,                     -- NULL when the run was taken away (requeued) before it reported
    outcome     TEXT NOT NULL,               -- DONE, FAILED, REFUSED, REQUEUED
    detail      TEXT NOT NULL
) STRICT;
CREATE INDEX task_runs_by_task ON task_runs(jid, tid, cid);
CREATE INDEX task_runs_by_finish ON task_runs(finished_at);
