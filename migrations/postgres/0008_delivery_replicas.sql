-- Replicas sharing one database say they are alive, so that each claims
-- its fair share of the busy delivery streams instead of the first to ask
-- keeping them all while a backlog lasts.
CREATE TABLE delivery_replicas (
    owner TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
