-- Backup codes regenerated in the account portal, kept (as JSON) only until the portal shows them.
ALTER TABLE users ADD COLUMN regenerated_codes_unseen TEXT;
