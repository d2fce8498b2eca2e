-- 0002: edit history of entries (each earlier version encrypted), and a keyed case tag so a
-- journal can be filtered by case without the case pseudonym stored in clear. The tag is an
-- HMAC under a key derived from the person's data key: erasing the person unlinks the tags.

ALTER TABLE entries ADD COLUMN case_tag TEXT;
CREATE INDEX entries_owner_case ON entries (owner, case_tag) WHERE case_tag IS NOT NULL;

CREATE TABLE entry_history (
    entry_id  TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    owner     TEXT NOT NULL,
    edited_at TEXT NOT NULL,
    body      BLOB NOT NULL,
    PRIMARY KEY (entry_id, seq)
) WITHOUT ROWID;
CREATE INDEX entry_history_owner ON entry_history (owner);
