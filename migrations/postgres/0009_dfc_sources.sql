-- DFC catalog sources (issue 16): the last import run of each catalog URL,
-- for the console, and which offer each catalog item became, so items
-- that leave the catalog are deleted and nothing else is. An item keeps its
-- row once its offer is deleted (local_id NULL): `generation` counts the
-- offers it became, so the next one gets a new id (deleted ids are never
-- reused) without probing.
CREATE TABLE dfc_sources (
    catalog_url TEXT PRIMARY KEY,
    last_run_at BIGINT NOT NULL,
    last_outcome TEXT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    deleted BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    last_error TEXT,
    last_error_at BIGINT
);
CREATE TABLE dfc_items (
    catalog_url TEXT NOT NULL,
    item_id TEXT NOT NULL,
    local_id TEXT,
    generation BIGINT NOT NULL,
    PRIMARY KEY (catalog_url, item_id)
);
CREATE UNIQUE INDEX dfc_items_local_id ON dfc_items (local_id);
