-- An activity id is claimed when processing starts and marked done when it
-- ends: a claim left by a crash is taken over by the sender's retry once
-- stale, so an acknowledged activity is never lost. Rows from before were
-- processed.
ALTER TABLE inbox_seen ADD COLUMN done_at INTEGER;
UPDATE inbox_seen SET done_at = received_at;
CREATE INDEX inbox_seen_received ON inbox_seen (received_at);

-- An object's earlier activities, once it is deleted, are withdrawn: their
-- document becomes a Tombstone (no content left in the outbox or at the
-- activity's URL) and lagging peers are not sent them.
ALTER TABLE activities ADD COLUMN withdrawn_at INTEGER;

-- Activities a peer refused for good (a 4xx) are skipped, never silently:
-- how many, and the last one with its status.
ALTER TABLE delivery_streams ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE delivery_streams ADD COLUMN last_skipped TEXT;

-- A peer whose inbox answered 404 or 410 is gone: its stream is not
-- claimed again until the peer is heard from (a verified request).
ALTER TABLE delivery_streams ADD COLUMN gone_at INTEGER;

-- The peer a webhook event is about, so that purging a peer drops its
-- catalog events still queued.
ALTER TABLE webhook_events ADD COLUMN peer_uri TEXT;
