-- Each serving process records that it is alive, once a second: replicas
-- on one database claim their fair share of the busy delivery streams, and
-- an inbox claim left by a process that died (SIGKILL) is taken over as
-- soon as that process is known dead, not after the two-minute timeout.
CREATE TABLE live_processes (
    process TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
ALTER TABLE inbox_seen ADD COLUMN claimed_by TEXT;
