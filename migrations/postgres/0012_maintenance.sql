-- One-off upgrades of stored data that a start runs once (the first instance to finish records
-- it here), such as rewriting addresses stored before they were normalised.
CREATE TABLE maintenance (
    task TEXT PRIMARY KEY,
    done_at BIGINT NOT NULL
);
