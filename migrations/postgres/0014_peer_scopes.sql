-- What each follower may receive of ours (issue 26): its sharing scope as
-- JSON (kinds, offer categories, purpose, retention), set by the admin,
-- and since when it holds. A follower without a row has the default scope
-- of the settings (`federation.default_scope`).
CREATE TABLE peer_scopes (
    peer_id BIGINT PRIMARY KEY REFERENCES peers (id),
    scope TEXT NOT NULL,
    since BIGINT NOT NULL
);
