-- Network membership, the member directory (issue 27). On a charter's
-- host: the directory of each hosted charter, one row per admission (a
-- member that left keeps its row, with when and why). On a member node:
-- the mirror of each followed network's directory (whether each member is
-- listed, when the network removed it and when this node applied that) and
-- the admin's local overrides of it.
CREATE TABLE network_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    charter TEXT NOT NULL,
    peer_id BIGINT NOT NULL REFERENCES peers (id),
    actor_uri TEXT NOT NULL,
    since BIGINT NOT NULL,
    version TEXT NOT NULL,
    admitted_by TEXT NOT NULL,
    removed_at BIGINT,
    removed_reason TEXT,
    removed_by TEXT
);
-- One current membership per charter and peer.
CREATE UNIQUE INDEX network_members_current ON network_members (charter, peer_id)
    WHERE removed_at IS NULL;
CREATE TABLE network_mirror (
    network TEXT NOT NULL,
    actor_uri TEXT NOT NULL,
    since BIGINT NOT NULL,
    version TEXT NOT NULL,
    listed BIGINT NOT NULL,
    removed_at BIGINT,
    applied_at BIGINT,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (network, actor_uri)
);
CREATE TABLE network_overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_uri TEXT NOT NULL UNIQUE,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at BIGINT NOT NULL
);
