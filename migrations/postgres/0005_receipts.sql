-- Who received what: for each of our objects and each peer, the last
-- activity about it the peer acknowledged, and when. One row per object
-- and peer that received it (the answer to "with whom do we share this").
CREATE TABLE object_receipts (
    object_id BIGINT NOT NULL REFERENCES objects (id),
    peer_id BIGINT NOT NULL REFERENCES peers (id),
    activity_id BIGINT NOT NULL,
    activity_kind TEXT NOT NULL,
    delivered_at BIGINT NOT NULL,
    PRIMARY KEY (object_id, peer_id)
);
CREATE INDEX object_receipts_peer ON object_receipts (peer_id, delivered_at);
