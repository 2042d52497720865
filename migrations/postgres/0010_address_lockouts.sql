-- Wrong guesses for addresses that have no account, counted and locked exactly as a user's are,
-- so that the lockout's answers say nothing about which addresses have accounts.
CREATE TABLE address_lockouts (
    address TEXT PRIMARY KEY,
    failed_attempts BIGINT NOT NULL,
    lockout_until BIGINT,
    updated_at BIGINT NOT NULL
);
