-- One-time setup links (issue 28): printed by `passerelle serve` while the
-- node has no admin token, each opens the console once and creates the
-- first admin token. Only the SHA-256 of the link's secret is stored; a
-- link is spent when used, and every pending one once an admin token exists.
CREATE TABLE setup_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
