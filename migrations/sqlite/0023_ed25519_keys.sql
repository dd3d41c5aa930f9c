-- The node's Ed25519 proof keys by verification method (issue 31): the
-- one that signs now (retired_at NULL; its secret is node_keys'
-- ed25519_secret) and the retired ones, public half only, which the actor
-- keeps listing so that every proof made before a rotation still
-- verifies. No row at all: the first key, `#ed25519-key`, never rotated.
CREATE TABLE ed25519_keys (
    fragment TEXT PRIMARY KEY,
    public_key_multibase TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);
