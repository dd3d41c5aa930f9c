-- Sharing terms (issue 26): the signed terms this node sent each follower
-- (the Offer's id, the terms as JSON, since when they hold, when sent and
-- when the peer accepted them) and the terms each followed peer sent us
-- (the latest per peer), which our catalog's retention follows.
CREATE TABLE sent_terms (
    peer_id BIGINT PRIMARY KEY REFERENCES peers (id),
    offer_uri TEXT NOT NULL UNIQUE,
    terms TEXT NOT NULL,
    since BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    accepted_at BIGINT
);
CREATE TABLE received_terms (
    peer_id BIGINT PRIMARY KEY REFERENCES peers (id),
    offer_uri TEXT NOT NULL,
    terms TEXT NOT NULL,
    since BIGINT NOT NULL,
    received_at BIGINT NOT NULL
);
