-- 0004: supervision (prompts, weekly schedules, reminders, digest facts, shares).
-- No raw Discord id: servers, channels, threads and people are keyed pseudonyms. Where the bot
-- must reach a person or a message again (a reminder DM, deleting a withdrawn share), the id is
-- sealed with that person's own data key (AES-GCM), so erasing the person makes it unreadable.

-- A server's own prompt templates (authored by supervisors for a group; checked at save time).
CREATE TABLE guild_prompts (
    guild      TEXT NOT NULL,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild, name)
) WITHOUT ROWID;

-- Every posted prompt, so its persistent "Reflect on this" button (rsb:prompt:<ref>) keeps working.
CREATE TABLE posted_prompts (
    ref        TEXT PRIMARY KEY,
    guild      TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;

-- Weekly group prompts: local weekday/time in a zone; last_run is the last instant claimed.
CREATE TABLE schedules (
    id         TEXT PRIMARY KEY,
    guild      TEXT NOT NULL,
    channel    TEXT NOT NULL,
    weekday    INTEGER NOT NULL,
    at         TEXT NOT NULL,
    tz         TEXT NOT NULL,
    prompt     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_run   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX schedules_guild ON schedules (guild);

-- The claim: only the process whose INSERT succeeds posts that run (no double posts).
CREATE TABLE schedule_runs (
    schedule_id TEXT NOT NULL,
    run_at      TEXT NOT NULL,
    claimed_at  TEXT NOT NULL,
    PRIMARY KEY (schedule_id, run_at)
) WITHOUT ROWID;

-- The weekly discussion threads the bot opened (thread pseudonym), per server and week.
CREATE TABLE group_threads (
    guild      TEXT NOT NULL,
    week       TEXT NOT NULL,
    thread     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild, thread)
) WITHOUT ROWID;
CREATE INDEX group_threads_guild_created ON group_threads (guild, created_at);

-- One non-identifying row per saved reflection in a server: who (pseudonym, only to count
-- distinct people), which week, topics and answered/skipped question ids. No text.
CREATE TABLE entry_facts (
    entry_id   TEXT PRIMARY KEY,
    guild      TEXT NOT NULL,
    week       TEXT NOT NULL,
    author     TEXT NOT NULL,
    topics     TEXT NOT NULL,
    answered   TEXT NOT NULL,
    skipped    TEXT NOT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX entry_facts_guild_week ON entry_facts (guild, week);

-- Excerpts an author chose to share; excerpt and the posted message's location are sealed
-- with the author's data key.
CREATE TABLE shares (
    id         TEXT PRIMARY KEY,
    guild      TEXT NOT NULL,
    week       TEXT NOT NULL,
    author     TEXT NOT NULL,
    entry_id   TEXT,
    excerpt    BLOB NOT NULL,
    location   BLOB NOT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX shares_guild_week ON shares (guild, week);
CREATE INDEX shares_author ON shares (author);

-- Opt-in weekly reminders; target = the person's user id sealed with their data key.
CREATE TABLE reminders (
    guild         TEXT NOT NULL,
    member        TEXT NOT NULL,
    weekday       INTEGER NOT NULL,
    at            TEXT NOT NULL,
    tz            TEXT NOT NULL,
    snoozed_until TEXT,
    last_reminded TEXT,
    target        BLOB NOT NULL,
    PRIMARY KEY (guild, member)
) WITHOUT ROWID;

-- The weekly digest post claim, one per server and week.
CREATE TABLE digest_runs (
    guild     TEXT NOT NULL,
    week      TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (guild, week)
) WITHOUT ROWID;
