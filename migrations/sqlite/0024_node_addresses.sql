-- The node's other addresses (issue 31): the ones it had before it moved
-- here (`earlier`, served as the actor's alsoKnownAs, which is what peers
-- check before they follow a Move) and the one it moved to (`moved_to`,
-- served as movedTo; the old address then redirects there).
CREATE TABLE node_addresses (
    actor_uri TEXT PRIMARY KEY,
    relation TEXT NOT NULL CHECK (relation IN ('earlier', 'moved_to')),
    recorded_at INTEGER NOT NULL
);
