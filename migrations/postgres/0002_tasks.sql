-- Second factors and their enrolment, for the setup-mfa task.
ALTER TABLE users ADD COLUMN sms_mfa BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- An enrolment in progress: the secret or phone being verified.
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN sms_pending_phone TEXT;
-- Backup codes generated at enrolment, kept (as JSON) only until the user has seen them once.
ALTER TABLE users ADD COLUMN backup_codes_unseen TEXT;

CREATE TABLE backup_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT
);
CREATE INDEX backup_codes_user ON backup_codes(user_id);
