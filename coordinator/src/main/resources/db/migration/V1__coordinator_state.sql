-- Drover coordinator state (see store/StateStore.java). Times are epoch milliseconds, text is UTF-8.
-- Reliable agent messages (commands and notices) are kept as their protocol frame body (PROTOCOL.md §2).

-- Nodes: who they are, their state with its reason, and the eviction notice if one came.
CREATE TABLE nodes (
    node_id          TEXT PRIMARY KEY,
    version          INTEGER NOT NULL,        -- grows with every change; an older write never overwrites a newer
    vm_id            TEXT NOT NULL,
    computer_name    TEXT NOT NULL,
    scale_set        TEXT NOT NULL,
    instance_id      TEXT NOT NULL,
    vm_size          TEXT NOT NULL,
    priority         TEXT NOT NULL,
    location         TEXT NOT NULL,
    zone             TEXT NOT NULL,
    pool             TEXT NOT NULL,
    agent_version    TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    slots            INTEGER NOT NULL,
    gpus             INTEGER NOT NULL,
    state            TEXT NOT NULL,
    state_reason     TEXT NOT NULL,
    state_since      INTEGER NOT NULL,
    enrolled_at      INTEGER,
    eviction         BLOB
) STRICT;

-- The last transitions of each node, for the API's history.
CREATE TABLE node_transitions (
    node_id   TEXT NOT NULL REFERENCES nodes(node_id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    from_state TEXT NOT NULL,
    to_state  TEXT NOT NULL,
    reason    TEXT NOT NULL
) STRICT;
CREATE INDEX node_transitions_by_node ON node_transitions(node_id, at);

-- Tasks a node reported started and not yet finished.
CREATE TABLE node_tasks (
    node_id    TEXT NOT NULL REFERENCES nodes(node_id) ON DELETE CASCADE,
    jid        INTEGER NOT NULL,
    tid        INTEGER NOT NULL,
    cid        INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    PRIMARY KEY (node_id, jid, tid, cid)
) STRICT;

-- The delivery ledger: per node, the agent's reliable stream (session) and the highest sequence processed.
CREATE TABLE delivery_ledger (
    node_id   TEXT PRIMARY KEY REFERENCES nodes(node_id) ON DELETE CASCADE,
    stream_id TEXT NOT NULL,
    seq       INTEGER NOT NULL
) STRICT;

-- Commands to a node not yet acknowledged by its agent, and the last sequence given out.
CREATE TABLE node_commands (
    node_id TEXT NOT NULL REFERENCES nodes(node_id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    frame   BLOB NOT NULL,
    PRIMARY KEY (node_id, seq)
) STRICT;
CREATE TABLE node_command_seq (
    node_id   TEXT PRIMARY KEY REFERENCES nodes(node_id) ON DELETE CASCADE,
    stream_id TEXT NOT NULL,  -- the node's coordinator -> agent stream (PROTOCOL.md §6.3)
    last_seq  INTEGER NOT NULL
) STRICT;

-- Task finishes acknowledged to an agent that the built-in queue has not applied yet.
CREATE TABLE finished_reports (
    node_id         TEXT NOT NULL,
    pool            TEXT NOT NULL,
    jid             INTEGER NOT NULL,
    tid             INTEGER NOT NULL,
    cid             INTEGER NOT NULL,
    exit_code       INTEGER NOT NULL,
    signal          INTEGER NOT NULL,
    runtime_millis  INTEGER NOT NULL,
    peak_rss_bytes  INTEGER NOT NULL,
    finished_at     INTEGER NOT NULL,
    PRIMARY KEY (node_id, jid, tid, cid)
) STRICT;

-- Drains in progress: how, until when, and who asked.
CREATE TABLE drains (
    node_id      TEXT PRIMARY KEY,
    mode         TEXT NOT NULL,
    deadline     INTEGER NOT NULL,            -- 0: on completion
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL
) STRICT;

-- Instances whose delete was asked for and not yet seen through (delete, then delist the blade).
CREATE TABLE pending_deletes (
    instance_id TEXT NOT NULL,
    pool        TEXT NOT NULL,
    node_id     TEXT NOT NULL,
    why         TEXT NOT NULL,
    step        TEXT NOT NULL,                -- DELETE or DELIST
    asked_at    INTEGER NOT NULL,
    PRIMARY KEY (pool, instance_id)
) STRICT;

-- Operator settings of pools that outlive a restart (the config file keeps the standing values).
CREATE TABLE pool_limits (
    pool      TEXT PRIMARY KEY,
    min_nodes INTEGER NOT NULL,
    max_nodes INTEGER NOT NULL,
    set_at    INTEGER NOT NULL
) STRICT;
CREATE TABLE pool_pauses (
    pool      TEXT PRIMARY KEY,
    paused_by TEXT NOT NULL,
    paused_at INTEGER NOT NULL
) STRICT;

-- Each pool's recent scaling decisions (a new row when the reason changes).
CREATE TABLE decisions (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    pool    TEXT NOT NULL,
    at      INTEGER NOT NULL,
    target  INTEGER NOT NULL,
    current INTEGER NOT NULL,
    reason  TEXT NOT NULL
) STRICT;
CREATE INDEX decisions_by_pool ON decisions(pool, id);

-- The built-in queue.
CREATE TABLE jobs (
    jid          INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    service_key  TEXT NOT NULL,
    submitted_at INTEGER NOT NULL
) STRICT;
CREATE TABLE tasks (
    jid         INTEGER NOT NULL REFERENCES jobs(jid) ON DELETE CASCADE,
    tid         INTEGER NOT NULL,
    cid         INTEGER NOT NULL,
    title       TEXT NOT NULL,
    argv        TEXT NOT NULL,                -- JSON array of strings
    env         TEXT NOT NULL,                -- JSON array of NAME=value
    working_dir TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    requeues    INTEGER NOT NULL,
    node        TEXT NOT NULL,
    nodes_tried TEXT NOT NULL,                -- JSON array of node ids
    since       INTEGER NOT NULL,
    PRIMARY KEY (jid, tid, cid)
) STRICT;
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
