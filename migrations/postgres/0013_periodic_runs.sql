-- Periodic tasks that run once across replicas (retention pruning): a task
-- is due at `due_at`; the replica whose claim moves that time forward runs
-- it, the others find it not due.
CREATE TABLE periodic_runs (
    task TEXT PRIMARY KEY,
    due_at BIGINT NOT NULL,
    ran_by TEXT,
    ran_at BIGINT
);
