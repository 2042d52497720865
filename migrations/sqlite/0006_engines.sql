-- Counters and sequences kept by the engine instead of `MAX() + 1` (which two writers on
-- PostgreSQL could both compute): each client counts its own activations, and the outbox order is
-- the rowid.
ALTER TABLE clients ADD COLUMN activations INTEGER NOT NULL DEFAULT 0;
UPDATE clients SET activations =
    (SELECT COALESCE(MAX(activation), 0) FROM sessions WHERE sessions.client_id = clients.id);

CREATE TABLE outbox_ordered (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    to_addr TEXT NOT NULL,
    template TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    code TEXT,
    sent_at INTEGER NOT NULL
);
INSERT INTO outbox_ordered (id, channel, to_addr, template, subject, body, code, sent_at)
    SELECT id, channel, to_addr, template, subject, body, code, sent_at FROM outbox ORDER BY seq, id;
DROP TABLE outbox;
ALTER TABLE outbox_ordered RENAME TO outbox;
CREATE INDEX outbox_to ON outbox(to_addr);
CREATE INDEX outbox_sent_at ON outbox(sent_at);
