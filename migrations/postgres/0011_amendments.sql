-- Charter amendments voted across nodes (issue 17, part 2). One row per
-- amendment, on the host (role 'host', who tallies) and on each member
-- node it was addressed to (role 'member', which votes). Votes are kept
-- on the host, one per voter; refused votes are kept apart, counted in
-- the tally. Drafts are amendments a member offered to the host.
CREATE TABLE amendments (
    id BIGSERIAL PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    host_actor TEXT NOT NULL,
    host_peer_id BIGINT,
    charter_local_id TEXT,
    base_version TEXT NOT NULL,
    summary TEXT NOT NULL,
    proposal TEXT NOT NULL,
    quorum_percent BIGINT NOT NULL,
    majority TEXT NOT NULL,
    eligible TEXT NOT NULL,
    end_time BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    question TEXT NOT NULL,
    closed_at BIGINT,
    outcome TEXT,
    result TEXT,
    adopted_version TEXT,
    our_choice TEXT,
    our_vote_uri TEXT
);
CREATE INDEX amendments_open ON amendments (state, end_time);
CREATE TABLE amendment_votes (
    id BIGSERIAL PRIMARY KEY,
    amendment_id BIGINT NOT NULL REFERENCES amendments (id),
    voter TEXT NOT NULL,
    vote_uri TEXT NOT NULL,
    choice TEXT NOT NULL,
    document TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (amendment_id, voter)
);
CREATE TABLE amendment_refusals (
    id BIGSERIAL PRIMARY KEY,
    amendment_id BIGINT NOT NULL REFERENCES amendments (id),
    voter TEXT NOT NULL,
    vote_uri TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE amendment_drafts (
    id BIGSERIAL PRIMARY KEY,
    offer_uri TEXT NOT NULL UNIQUE,
    proposer TEXT NOT NULL,
    proposer_peer_id BIGINT NOT NULL,
    charter_local_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    proposal TEXT NOT NULL,
    state TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    decided_at BIGINT,
    amendment_id BIGINT
);
