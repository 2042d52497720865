-- When a password guess for an address without an account was last counted before hashing, as
-- users.guess_claimed_at: guesses sent together are reserved and settled the same way for both.
ALTER TABLE address_lockouts ADD COLUMN guess_claimed_at INTEGER;
