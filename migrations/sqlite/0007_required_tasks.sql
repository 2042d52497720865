-- Tasks beyond the three (SPEC §4.4): the terms version a user accepted, organizations that
-- require a second factor, tasks an operator requested of a user or the user completed, and when
-- the instance first saw each app-defined task (for `applies = "new_users"`).
ALTER TABLE users ADD COLUMN terms_version TEXT;
ALTER TABLE users ADD COLUMN legal_accepted_at INTEGER;
ALTER TABLE organizations ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;

CREATE TABLE user_tasks (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    task_key TEXT NOT NULL,
    requested_at INTEGER,
    completed_at INTEGER,
    PRIMARY KEY (user_id, task_key)
);

CREATE TABLE task_definitions (
    task_key TEXT PRIMARY KEY,
    added_at INTEGER NOT NULL
);
