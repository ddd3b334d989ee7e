-- Per-node credentials (identity/IdentityGate.java, SECURITY.md "Node identity"): only the SHA-256 of each secret.
CREATE TABLE node_credentials (
    node_id    TEXT PRIMARY KEY,
    hash       BLOB NOT NULL,
    vm_id      TEXT NOT NULL,            -- the VM the node proved with its attested document; '' without one
    pool       TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    confirmed  INTEGER NOT NULL          -- 1 once the agent spoke after the Welcome that issued it
) STRICT;
