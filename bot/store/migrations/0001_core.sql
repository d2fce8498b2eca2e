-- 0001: the core tables. Nothing here holds a raw Discord id, a username or clear text:
-- owners/places are keyed pseudonyms, `state` and `body` are AES-GCM ciphertexts.

-- Store-wide facts: the key check value (an HMAC-derived verifier, never the key) and key id.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- One random data key per person, wrapped by the master key named by key_id.
-- Deleting this row is what makes a person's ciphertexts unreadable.
CREATE TABLE person_keys (
    owner      TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    wrapped    BLOB NOT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;

-- Reflections in progress (the flow's state, encrypted as one blob).
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    status     TEXT NOT NULL,
    place      TEXT,
    state      BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX sessions_owner_status ON sessions (owner, status, updated_at);
CREATE INDEX sessions_place_status ON sessions (place, status) WHERE place IS NOT NULL;

-- Journal entries: body = encrypted JSON {text, answers, topics, case, skipped, prompt}.
CREATE TABLE entries (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    session_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body       BLOB NOT NULL
);
CREATE INDEX entries_owner_created ON entries (owner, created_at);
