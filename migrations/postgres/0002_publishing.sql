-- Bearer tokens for the platform and admin APIs. Only a SHA-256 of each
-- token is kept; a revoked token stays listed with its revocation time.
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('platform', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- What the platform published: one row per object, keyed by the platform's
-- own id. `payload` is the validated platform JSON (canonical form) and
-- `document` the signed ActivityStreams object served at `uri`.
CREATE TABLE objects (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('offer', 'member', 'charter', 'commitment')),
    local_id TEXT NOT NULL,
    uri TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    audience TEXT NOT NULL,
    public BIGINT NOT NULL,
    payload TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    UNIQUE (kind, local_id)
);

-- Every version of an object whose old versions stay readable (charters).
CREATE TABLE object_versions (
    object_id BIGINT NOT NULL REFERENCES objects (id),
    version BIGINT NOT NULL,
    uri TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (object_id, version)
);

-- The node's activities, in the order they happened. The id is the
-- delivery cursor: a peer's position is the last id it acknowledged, so
-- storage grows with activities + peers, not their product. Inserts take a
-- transaction-scoped advisory lock so ids become visible in id order.
CREATE TABLE activities (
    id BIGSERIAL PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    object_id BIGINT REFERENCES objects (id),
    audience TEXT NOT NULL,
    public BIGINT NOT NULL,
    document TEXT NOT NULL,
    published_at BIGINT NOT NULL
);
CREATE INDEX activities_public ON activities (public, id);
