-- The node's own key pairs: RSA for HTTP signatures, Ed25519 for object
-- integrity proofs. Exactly one row; generated on first start.
CREATE TABLE node_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    rsa_private_pem TEXT NOT NULL,
    rsa_public_pem TEXT NOT NULL,
    ed25519_secret BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
