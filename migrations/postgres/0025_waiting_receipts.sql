-- Receipts that overtake the ledger (issue 29): a peer's receipt naming a
-- delivery we made but have not recorded yet (a pass still running, or one
-- that stopped on a failure) is kept with `waiting` = 1 and applied again
-- when a pass over that peer's stream records its deliveries, instead of
-- being put off, which held up everything behind it in the peer's stream.
ALTER TABLE peer_receipts ADD COLUMN waiting BIGINT NOT NULL DEFAULT 0;
CREATE INDEX peer_receipts_waiting ON peer_receipts (peer_id, received_at) WHERE waiting = 1;
