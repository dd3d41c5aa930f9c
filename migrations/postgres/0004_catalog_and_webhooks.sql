-- The federated catalog: objects received from followed peers, verified
-- (id on the sender's host, integrity proof, schema). A peer's Delete
-- removes the row: deletions are honoured, not archived.
CREATE TABLE catalog (
    id BIGSERIAL PRIMARY KEY,
    peer_id BIGINT NOT NULL REFERENCES peers (id),
    kind TEXT NOT NULL,
    object_uri TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    summary TEXT NOT NULL,
    purpose TEXT,
    document TEXT NOT NULL,
    object_updated TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX catalog_kind ON catalog (kind, id);

-- The platform's webhook endpoints. The secret signs deliveries (Standard
-- Webhooks); it is shown once, when the webhook is created.
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT,
    disabled_reason TEXT
);

-- Events waiting for (or delivered to) each webhook. Few webhooks per
-- node, so one row per event and endpoint.
CREATE TABLE webhook_events (
    id BIGSERIAL PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id),
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_events_due ON webhook_events (delivered_at, next_attempt_at);

-- A replica drives a peer's stream while it holds the lease; a dead
-- replica's leases expire and another takes the stream over.
ALTER TABLE delivery_streams ADD COLUMN lease_owner TEXT;
ALTER TABLE delivery_streams ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
