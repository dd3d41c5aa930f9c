-- Network membership decided by the network (issue 27). Inclusion and
-- exclusion votes are amendments whose subject is a member, not a charter
-- version: same table, same votes, same tally. A subject may reply to the
-- vote about it. Join requests are kept on the host (role 'host', one row
-- per candidate's request) and on the candidate (role 'candidate').
ALTER TABLE amendments ADD COLUMN subject TEXT NOT NULL DEFAULT 'charter';
ALTER TABLE amendments ADD COLUMN candidate TEXT;
ALTER TABLE amendments ADD COLUMN draft TEXT;
ALTER TABLE amendments ADD COLUMN reply TEXT;
CREATE TABLE network_requests (
    id BIGSERIAL PRIMARY KEY,
    role TEXT NOT NULL,
    network TEXT NOT NULL,
    peer_id BIGINT NOT NULL REFERENCES peers (id),
    peer_actor TEXT NOT NULL,
    join_uri TEXT NOT NULL UNIQUE,
    commitment TEXT,
    answers TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    amendment_id BIGINT REFERENCES amendments (id),
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX network_requests_by_peer ON network_requests (role, network, peer_id);
