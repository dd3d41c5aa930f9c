-- Receipts (issue 26): what a peer confirms it holds and removed.
-- On the ledger, when the peer's signed receipt acknowledged the version
-- we last delivered, or the removal we last delivered, and by which
-- receipt (its id, kept in `peer_receipts`). A new delivery clears them.
ALTER TABLE object_receipts ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE object_receipts ADD COLUMN removal_acknowledged_at BIGINT;
ALTER TABLE object_receipts ADD COLUMN receipt_uri TEXT;

-- The receipts peers sent us, verified, as received: an auditor checks
-- their proofs against the peer's key.
CREATE TABLE peer_receipts (
    uri TEXT PRIMARY KEY,
    peer_id BIGINT NOT NULL REFERENCES peers (id),
    document TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX peer_receipts_peer ON peer_receipts (peer_id, received_at);

-- What this node owes an origin a receipt for: an object of the origin's
-- it now holds (at `version`) or removed (`version` NULL), noted with the
-- catalog change; taken when the receipt is recorded for delivery.
CREATE TABLE owed_receipts (
    peer_id BIGINT NOT NULL REFERENCES peers (id),
    object_uri TEXT NOT NULL,
    version TEXT,
    noted_at BIGINT NOT NULL,
    PRIMARY KEY (peer_id, object_uri)
);
