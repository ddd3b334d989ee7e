-- The host names and addresses each node's agent last stated (Heartbeat extension 1, PROTOCOL.md §4), so a
-- restarted coordinator still finds the node's Tractor blade by them before its first heartbeat.
-- Each list is a JSON array of strings.
CREATE TABLE node_host_names (
    node_id   TEXT PRIMARY KEY REFERENCES nodes(node_id) ON DELETE CASCADE,
    names     TEXT NOT NULL,
    addresses TEXT NOT NULL
) STRICT;
