-- Other nodes this node knows: the actor as last fetched, with the keys
-- that verify its HTTP signatures and its integrity proofs.
CREATE TABLE peers (
    id BIGSERIAL PRIMARY KEY,
    actor_uri TEXT NOT NULL UNIQUE,
    domain TEXT NOT NULL,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    handle TEXT NOT NULL,
    name TEXT NOT NULL,
    summary TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    actor_json TEXT NOT NULL,
    fetched_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Our follow of a peer: pending until it accepts or rejects.
CREATE TABLE follows_out (
    id BIGSERIAL PRIMARY KEY,
    peer_id BIGINT NOT NULL UNIQUE REFERENCES peers (id),
    follow_uri TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'rejected')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A peer's follow of us: a request until the admin (or the admission
-- policy) approves or rejects it. `snapshot` is the requester's actor as
-- it was when it asked; `commitments` what we found of its charter
-- commitments (JSON).
CREATE TABLE follows_in (
    id BIGSERIAL PRIMARY KEY,
    peer_id BIGINT NOT NULL UNIQUE REFERENCES peers (id),
    follow_uri TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    reason TEXT,
    snapshot TEXT NOT NULL,
    commitments TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Domains excluded by an admin decision (the configured blocklist is
-- separate). Re-inclusion deletes the row; the audit log keeps history.
CREATE TABLE exclusions (
    domain TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    excluded_by TEXT NOT NULL,
    excluded_at BIGINT NOT NULL
);

-- Every governance decision, appended and never changed.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    peer TEXT,
    decided_by TEXT NOT NULL,
    detail TEXT NOT NULL
);

-- Ids of activities already received: a replay is acknowledged, not redone.
CREATE TABLE inbox_seen (
    activity_uri TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);

-- Governance activities (Follow, Accept, Reject, Undo) go to one peer.
ALTER TABLE activities ADD COLUMN target_peer_id BIGINT REFERENCES peers (id);

-- Delivery position of each peer in the activity log: everything up to
-- `cursor` is delivered (or skipped for good); retries back off.
CREATE TABLE delivery_streams (
    peer_id BIGINT PRIMARY KEY REFERENCES peers (id),
    cursor BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_success_at BIGINT,
    last_error TEXT
);
