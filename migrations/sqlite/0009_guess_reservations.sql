-- When a password guess was last counted before hashing. A guess whose request never settled it
-- (the process stopped, the hash failed) stops holding the user's allowance after a while.
ALTER TABLE users ADD COLUMN guess_claimed_at INTEGER;
