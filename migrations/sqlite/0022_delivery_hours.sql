-- Deliveries and failures per peer and hour (issue 28): what the
-- dashboard's sparklines draw. Added to when a delivery pass ends, pruned
-- after 48 hours by the hourly pruning.
CREATE TABLE delivery_hours (
    peer_id INTEGER NOT NULL REFERENCES peers (id),
    hour INTEGER NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (peer_id, hour)
);
