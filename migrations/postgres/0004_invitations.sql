-- Organization invitations (SPEC §3): an email and a role, accepted through a single-use link.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    -- pending, accepted, revoked (an expired invitation stays pending past expires_at)
    status TEXT NOT NULL,
    -- SHA-256 of the link's token; the token itself is only in the email
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- At most one pending invitation per organization and email address.
CREATE UNIQUE INDEX invitations_pending ON invitations(organization_id, email) WHERE status = 'pending';
CREATE INDEX invitations_email ON invitations(email, status);
CREATE INDEX memberships_user ON memberships(user_id);

-- The order in which a browser's sessions were last made active (higher = more recent), so that
-- signing out falls back to the most recently active other account even within one second.
ALTER TABLE sessions ADD COLUMN activation BIGINT NOT NULL DEFAULT 0;
