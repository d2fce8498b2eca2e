-- 0003: a server's own settings, set with /setup (config.yaml values are the defaults).
-- No raw Discord id: the server is its keyed pseudonym, and the reflection channel and
-- supervisor role are keyed pseudonyms too (the bot finds them again by computing the
-- pseudonym of each of the server's channels/roles). Time zone and crisis resources are
-- public, non-personal text (crisis_resources is a JSON list of lines).
CREATE TABLE guild_settings (
    guild              TEXT PRIMARY KEY,
    reflection_channel TEXT,
    supervisor_role    TEXT,
    timezone           TEXT,
    crisis_resources   TEXT,
    updated_at         TEXT NOT NULL
) WITHOUT ROWID;
