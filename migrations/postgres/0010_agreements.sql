-- FEP-0837 agreements on offers (issue 17): a peer's Offer(Agreement) for
-- some of one of our offers (side 'owner': we decide), or ours for some of
-- a peer's offer (side 'asker'). `offer_uri` is the Offer activity's id,
-- `agreement_uri` the finalised Agreement's (set when it is accepted),
-- `document` the Agreement as last sent or received.
CREATE TABLE agreements (
    id BIGSERIAL PRIMARY KEY,
    side TEXT NOT NULL CHECK (side IN ('asker', 'owner')),
    peer_id BIGINT NOT NULL REFERENCES peers (id),
    offer_uri TEXT NOT NULL UNIQUE,
    agreement_uri TEXT UNIQUE,
    proposal_uri TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected', 'completed', 'cancelled')),
    quantity_unit TEXT NOT NULL,
    quantity_value TEXT NOT NULL,
    reciprocal_unit TEXT,
    reciprocal_value TEXT,
    reciprocal_currency TEXT,
    note TEXT,
    reason TEXT,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agreements_state ON agreements (state, id);
