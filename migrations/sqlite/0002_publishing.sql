-- Bearer tokens for the platform and admin APIs. Only a SHA-256 of each
-- token is kept; a revoked token stays listed with its revocation time.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('platform', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- What the platform published: one row per object, keyed by the platform's
-- own id. `payload` is the validated platform JSON (canonical form) and
-- `document` the signed ActivityStreams object served at `uri`.
CREATE TABLE objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('offer', 'member', 'charter', 'commitment')),
    local_id TEXT NOT NULL,
    uri TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    audience TEXT NOT NULL,
    public INTEGER NOT NULL,
    payload TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    UNIQUE (kind, local_id)
);

-- Every version of an object whose old versions stay readable (charters).
CREATE TABLE object_versions (
    object_id INTEGER NOT NULL REFERENCES objects (id),
    version INTEGER NOT NULL,
    uri TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (object_id, version)
);

-- The node's activities, in the order they happened. The id is the
-- delivery cursor: a peer's position is the last id it acknowledged, so
-- storage grows with activities + peers, not their product.
CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    object_id INTEGER REFERENCES objects (id),
    audience TEXT NOT NULL,
    public INTEGER NOT NULL,
    document TEXT NOT NULL,
    published_at INTEGER NOT NULL
);
CREATE INDEX activities_public ON activities (public, id);
