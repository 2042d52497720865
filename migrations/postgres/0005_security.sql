-- Sign-in and sign-up attempts as state machines (the state is the domain enum as JSON), with a
-- version for compare-and-set transitions, the time of the last code sent (the resend timer) and
-- the second-factor judgements of the attempt. Attempts are short-lived: earlier ones are dropped.
DROP TABLE sign_in_attempts;
CREATE TABLE sign_in_attempts (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE REFERENCES clients(id) ON DELETE CASCADE,
    version BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    redirect_url TEXT,
    code_sent_at BIGINT,
    second_factor_judgements BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

DROP TABLE sign_up_attempts;
CREATE TABLE sign_up_attempts (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE REFERENCES clients(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    redirect_url TEXT,
    code_sent_at BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Codes bound to their purpose, the attempt they were sent in ('' for none), the user they were
-- sent for ('' for a new address) and the recipient; judged at most 5 times.
DROP TABLE verification_codes;
CREATE TABLE verification_codes (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    attempt_id TEXT NOT NULL DEFAULT '',
    user_id TEXT NOT NULL DEFAULT '',
    recipient TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    judgements BIGINT NOT NULL DEFAULT 0,
    consumed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX verification_codes_binding ON verification_codes(purpose, attempt_id, user_id);
CREATE INDEX verification_codes_attempt ON verification_codes(attempt_id);

-- The outbox keeps a template name always, and body and code only in testing/development mode.
ALTER TABLE outbox ADD COLUMN template TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_sent_at ON outbox(sent_at);

-- When each session last proved its first and second factor (re-verification, SPEC §16).
ALTER TABLE sessions ADD COLUMN first_factor_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN second_factor_at BIGINT;
UPDATE sessions SET first_factor_at = created_at;

-- The session that enrolled a factor and is shown its backup codes (no other session is), and the
-- sessions that started an enrolment or a backup-code regeneration (only they may see or finish
-- it). Plaintext codes of no session are dropped.
ALTER TABLE users ADD COLUMN backup_codes_session TEXT;
ALTER TABLE users ADD COLUMN totp_pending_session TEXT;
ALTER TABLE users ADD COLUMN sms_pending_session TEXT;
ALTER TABLE users ADD COLUMN regenerated_codes_session TEXT;
UPDATE users SET backup_codes_unseen = NULL, regenerated_codes_unseen = NULL,
    totp_pending_secret = NULL, sms_pending_phone = NULL;
CREATE INDEX users_backup_codes_session ON users(backup_codes_session)
    WHERE backup_codes_session IS NOT NULL;

-- Backup codes are stored as salted argon2id hashes; a 16-bit selector finds the row to verify.
ALTER TABLE backup_codes ADD COLUMN selector TEXT;
CREATE INDEX backup_codes_selector ON backup_codes(user_id, selector);
