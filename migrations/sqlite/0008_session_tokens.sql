-- Session tokens (SPEC §15): the ES256 keys every instance signs with and publishes, one per
-- generation, and the one row that decides who rotates (a guarded update, so two instances
-- never both add a key for the same rotation).
CREATE TABLE signing_keys (
    generation INTEGER PRIMARY KEY,
    kid TEXT NOT NULL UNIQUE,
    -- PKCS#8, base64: whoever reads the database can sign tokens (as with the Backend API key).
    private_key TEXT NOT NULL,
    public_x TEXT NOT NULL,
    public_y TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE signing_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    rotated_at INTEGER NOT NULL
);
INSERT INTO signing_state (id, generation, rotated_at) VALUES (1, 0, 0);
