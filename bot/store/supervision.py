"""Supervision tables (migration 0004): guild prompt templates, posted prompts, weekly schedules
and their run claims, weekly group threads, per-entry digest facts, shares and reminders.

Nothing here holds a raw Discord id or clear personal text: servers, channels, threads and
people are keyed pseudonyms; the few things the bot must reach again (a reminder's DM target, a
shared message to delete on withdrawal) and a shared excerpt are sealed with the author's own
data key, so erasing that person (their key row) makes them unreadable.
"""
from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


from bot.core.keys import DecryptError, row_aad
from bot.store.sqlite import SQLiteStore, parse_ts, ts


# --------------------------------------------------------------------------- guild templates

async def save_template(store: SQLiteStore, guild: str, name: str, body: str) -> None:
    stamp = ts(store.clock())
    await store._write(lambda c: c.execute(
        "INSERT INTO guild_prompts (guild, name, body, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild, name) DO UPDATE SET body = excluded.body, created_at = excluded.created_at",
        (guild, name, body, stamp)))


async def get_template(store: SQLiteStore, guild: str, name: str) -> str | None:
    rows = await store._fetch("SELECT body FROM guild_prompts WHERE guild = ? AND name = ?", (guild, name))
    return rows[0][0] if rows else None


async def list_templates(store: SQLiteStore, guild: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in await store._fetch(
        "SELECT name, body FROM guild_prompts WHERE guild = ? ORDER BY name", (guild,))]


async def delete_template(store: SQLiteStore, guild: str, name: str) -> bool:
    return bool(await store._write(lambda c: c.execute(
        "DELETE FROM guild_prompts WHERE guild = ? AND name = ?", (guild, name)).rowcount))


# --------------------------------------------------------------------------- posted prompts

async def remember_prompt(store: SQLiteStore, guild: str, text: str) -> str:
    ref = secrets.token_urlsafe(9)
    stamp = ts(store.clock())
    await store._write(lambda c: c.execute(
        "INSERT INTO posted_prompts (ref, guild, text, created_at) VALUES (?, ?, ?, ?)", (ref, guild, text, stamp)))
    return ref


async def posted_prompt(store: SQLiteStore, ref: str) -> str | None:
    rows = await store._fetch("SELECT text FROM posted_prompts WHERE ref = ?", (ref,))
    return rows[0][0] if rows else None


# --------------------------------------------------------------------------- schedules

@dataclass(frozen=True)
class Schedule:
    id: str
    guild: str
    channel: str  # channel pseudonym
    weekday: int
    at: time
    tz: str
    prompt: str
    created_at: datetime
    last_run: datetime


_SCHED_COLS = "id, guild, channel, weekday, at, tz, prompt, created_at, last_run"


def _schedule(row: tuple) -> Schedule:
    sid, guild, channel, weekday, at, tz, prompt, created, last = row
    return Schedule(sid, guild, channel, int(weekday), time.fromisoformat(at), tz, prompt,
                    parse_ts(created), parse_ts(last))


async def add_schedule(store: SQLiteStore, guild: str, channel: str, weekday: int, at: time, tz: str,
                       prompt: str) -> Schedule:
    """A new schedule; last_run starts at its creation so it first fires at the next instant."""
    now = store.clock()
    sid = secrets.token_hex(3)
    row = (sid, guild, channel, weekday, at.strftime("%H:%M"), tz, prompt, ts(now), ts(now))
    await store._write(lambda c: c.execute(
        f"INSERT INTO schedules ({_SCHED_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row))
    return _schedule(row)


async def list_schedules(store: SQLiteStore, guild: str | None = None) -> list[Schedule]:
    if guild is None:
        rows = await store._fetch(f"SELECT {_SCHED_COLS} FROM schedules ORDER BY created_at, id", ())
    else:
        rows = await store._fetch(f"SELECT {_SCHED_COLS} FROM schedules WHERE guild = ? ORDER BY created_at, id",
                                  (guild,))
    return [_schedule(r) for r in rows]


async def remove_schedule(store: SQLiteStore, guild: str, schedule_id: str) -> bool:
    def op(c: sqlite3.Connection) -> bool:
        n = c.execute("DELETE FROM schedules WHERE guild = ? AND id = ?", (guild, schedule_id)).rowcount
        if n:
            c.execute("DELETE FROM schedule_runs WHERE schedule_id = ?", (schedule_id,))
        return bool(n)
    return await store._write(op)


async def claim_run(store: SQLiteStore, schedule_id: str, run_at: datetime) -> bool:
    """Claim one run: True only for the single caller (in any process) whose INSERT succeeded.
    The claim also advances last_run, in the same transaction."""
    run, stamp = ts(run_at), ts(store.clock())

    def op(c: sqlite3.Connection) -> bool:
        n = c.execute("INSERT OR IGNORE INTO schedule_runs (schedule_id, run_at, claimed_at) VALUES (?, ?, ?)",
                      (schedule_id, run, stamp)).rowcount
        if n:
            c.execute("UPDATE schedules SET last_run = ? WHERE id = ? AND last_run < ?", (run, schedule_id, run))
        return bool(n)
    return await store._write(op)


async def release_run(store: SQLiteStore, schedule_id: str, run_at: datetime, previous: datetime) -> None:
    """Undo a claim whose post failed before anything was posted, so the next tick retries it."""
    run = ts(run_at)

    def op(c: sqlite3.Connection) -> None:
        c.execute("DELETE FROM schedule_runs WHERE schedule_id = ? AND run_at = ?", (schedule_id, run))
        c.execute("UPDATE schedules SET last_run = ? WHERE id = ? AND last_run = ?", (ts(previous), schedule_id, run))
    await store._write(op)


async def claim_digest(store: SQLiteStore, guild: str, week: str) -> bool:
    stamp = ts(store.clock())
    return bool(await store._write(lambda c: c.execute(
        "INSERT OR IGNORE INTO digest_runs (guild, week, posted_at) VALUES (?, ?, ?)", (guild, week, stamp)).rowcount))


# --------------------------------------------------------------------------- group threads

async def add_group_thread(store: SQLiteStore, guild: str, week: str, thread: str) -> None:
    stamp = ts(store.clock())
    await store._write(lambda c: c.execute(
        "INSERT OR IGNORE INTO group_threads (guild, week, thread, created_at) VALUES (?, ?, ?, ?)",
        (guild, week, thread, stamp)))


async def group_threads(store: SQLiteStore, guild: str) -> list[tuple[str, str]]:
    """(week, thread pseudonym), newest first."""
    return [(r[0], r[1]) for r in await store._fetch(
        "SELECT week, thread FROM group_threads WHERE guild = ? ORDER BY created_at DESC", (guild,))]


async def is_group_thread(store: SQLiteStore, thread: str) -> bool:
    return bool(await store._fetch("SELECT 1 FROM group_threads WHERE thread = ? LIMIT 1", (thread,)))


# --------------------------------------------------------------------------- digest facts

async def purge_guild_older_than(store: SQLiteStore, guild: str, days: int, now: datetime) -> int:
    """A server's own retention: its reflections (the entries its digest facts point to, with their
    edit history) and those facts, older than `days`. Returns the entries removed. Entries written
    elsewhere (DMs, the terminal) follow the default retention only."""
    if days <= 0:
        return 0
    cutoff = ts(now - timedelta(days=days))

    def op(c: sqlite3.Connection) -> int:
        old = "SELECT entry_id FROM entry_facts WHERE guild = ? AND created_at < ?"
        c.execute(f"DELETE FROM entry_history WHERE entry_id IN ({old})", (guild, cutoff))
        n = c.execute(f"DELETE FROM entries WHERE id IN ({old})", (guild, cutoff)).rowcount
        c.execute("DELETE FROM entry_facts WHERE guild = ? AND created_at < ?", (guild, cutoff))
        return n

    n = await store._write(op)
    if n:
        await store.checkpoint()
    return n


async def record_facts(store: SQLiteStore, *, entry_id: str, guild: str, week: str, author: str,
                       topics: list[str], answered: list[str], skipped: list[str]) -> None:
    """One non-identifying facts row per saved entry in a server (no text; idempotent)."""
    stamp = ts(store.clock())
    row = (entry_id, guild, week, author, json.dumps(sorted(set(topics))), json.dumps(list(answered)),
           json.dumps(list(skipped)), stamp)
    await store._write(lambda c: c.execute(
        "INSERT OR IGNORE INTO entry_facts (entry_id, guild, week, author, topics, answered, skipped, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row))


@dataclass(frozen=True)
class Facts:
    entry_id: str
    author: str
    topics: list[str]
    answered: list[str]
    skipped: list[str]


async def facts_for(store: SQLiteStore, guild: str, week: str) -> list[Facts]:
    rows = await store._fetch("SELECT entry_id, author, topics, answered, skipped FROM entry_facts "
                              "WHERE guild = ? AND week = ? ORDER BY entry_id", (guild, week))
    return [Facts(r[0], r[1], json.loads(r[2]), json.loads(r[3]), json.loads(r[4])) for r in rows]


async def has_facts(store: SQLiteStore, guild: str, week: str, author: str) -> bool:
    return bool(await store._fetch("SELECT 1 FROM entry_facts WHERE guild = ? AND week = ? AND author = ? LIMIT 1",
                                   (guild, week, author)))


# --------------------------------------------------------------------------- shares

@dataclass(frozen=True)
class Share:
    id: str
    week: str
    entry_id: str | None
    excerpt: str
    channel_id: int | None
    message_id: int | None
    created_at: datetime


async def add_share(store: SQLiteStore, *, guild: str, week: str, author: str, entry_id: str | None,
                    excerpt: str, channel_id: int, message_id: int) -> str:
    dk = await store._data_key(author, create=True)
    sid = secrets.token_urlsafe(9)
    sealed_text = dk.seal(excerpt.encode("utf-8"), row_aad("shares", sid, author, "excerpt"))
    sealed_where = dk.seal(json.dumps([channel_id, message_id]).encode(), row_aad("shares", sid, author, "location"))
    stamp = ts(store.clock())
    await store._write(lambda c: c.execute(
        "INSERT INTO shares (id, guild, week, author, entry_id, excerpt, location, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (sid, guild, week, author, entry_id, sealed_text, sealed_where, stamp)))
    return sid


async def _open_share(store: SQLiteStore, row: tuple) -> Share | None:
    sid, author, week, entry_id, excerpt, location, created = row
    try:
        dk = await store._data_key(author, create=False)
        if dk is None:
            return None
        text = dk.open(excerpt, row_aad("shares", sid, author, "excerpt")).decode("utf-8")
        channel_id, message_id = json.loads(dk.open(location, row_aad("shares", sid, author, "location")))
    except (DecryptError, ValueError):
        return None
    return Share(sid, week, entry_id, text, channel_id, message_id, parse_ts(created))


_SHARE_COLS = "id, author, week, entry_id, excerpt, location, created_at"


async def shares_of(store: SQLiteStore, guild: str | None, author: str) -> list[Share]:
    """A person's shares in one server, or in every server when guild is None (for erasure)."""
    scope, args = ("guild = ? AND ", (guild, author)) if guild is not None else ("", (author,))
    rows = await store._fetch(f"SELECT {_SHARE_COLS} FROM shares WHERE {scope}author = ? "
                              "ORDER BY created_at DESC", args)
    return [s for s in [await _open_share(store, r) for r in rows] if s is not None]


async def shared_excerpts(store: SQLiteStore, guild: str, week: str) -> list[str]:
    rows = await store._fetch(f"SELECT {_SHARE_COLS} FROM shares WHERE guild = ? AND week = ?", (guild, week))
    return [s.excerpt for s in [await _open_share(store, r) for r in rows] if s is not None]


async def delete_share(store: SQLiteStore, author: str, share_id: str) -> bool:
    return bool(await store._write(lambda c: c.execute(
        "DELETE FROM shares WHERE id = ? AND author = ?", (share_id, author)).rowcount))


# --------------------------------------------------------------------------- reminders

@dataclass(frozen=True)
class Reminder:
    guild: str
    member: str
    weekday: int
    at: time
    tz: str
    snoozed_until: date | None
    last_reminded: datetime | None
    user_id: int | None  # unsealed; None when the person's key is gone


async def set_reminder(store: SQLiteStore, guild: str, member: str, user_id: int, weekday: int, at: time,
                       tz: str) -> None:
    dk = await store._data_key(member, create=True)
    target = dk.seal(str(user_id).encode(), row_aad("reminders", guild, member))
    await store._write(lambda c: c.execute(
        "INSERT INTO reminders (guild, member, weekday, at, tz, snoozed_until, last_reminded, target) "
        "VALUES (?, ?, ?, ?, ?, NULL, NULL, ?) ON CONFLICT (guild, member) DO UPDATE SET weekday = excluded.weekday, "
        "at = excluded.at, tz = excluded.tz, snoozed_until = NULL, target = excluded.target",
        (guild, member, weekday, at.strftime("%H:%M"), tz, target)))


async def snooze_reminder(store: SQLiteStore, guild: str, member: str, until: date) -> bool:
    return bool(await store._write(lambda c: c.execute(
        "UPDATE reminders SET snoozed_until = ? WHERE guild = ? AND member = ?",
        (until.isoformat(), guild, member)).rowcount))


async def remove_reminder(store: SQLiteStore, guild: str, member: str) -> bool:
    return bool(await store._write(lambda c: c.execute(
        "DELETE FROM reminders WHERE guild = ? AND member = ?", (guild, member)).rowcount))


async def mark_reminded(store: SQLiteStore, guild: str, member: str, when: datetime, previous: datetime | None) -> bool:
    """Claim a reminder send (compare-and-set on last_reminded, so two processes send once)."""
    prev = ts(previous) if previous else None

    def op(c: sqlite3.Connection) -> bool:
        if prev is None:
            sql = "UPDATE reminders SET last_reminded = ? WHERE guild = ? AND member = ? AND last_reminded IS NULL"
            return bool(c.execute(sql, (ts(when), guild, member)).rowcount)
        sql = "UPDATE reminders SET last_reminded = ? WHERE guild = ? AND member = ? AND last_reminded = ?"
        return bool(c.execute(sql, (ts(when), guild, member, prev)).rowcount)
    return await store._write(op)


async def reminders(store: SQLiteStore, guild: str) -> list[Reminder]:
    rows = await store._fetch("SELECT guild, member, weekday, at, tz, snoozed_until, last_reminded, target "
                              "FROM reminders WHERE guild = ?", (guild,))
    out = []
    for g, member, weekday, at, tz, snoozed, last, target in rows:
        user_id: int | None = None
        try:
            dk = await store._data_key(member, create=False)
            if dk is not None:
                user_id = int(dk.open(target, row_aad("reminders", g, member)).decode())
        except (DecryptError, ValueError):
            user_id = None
        out.append(Reminder(g, member, int(weekday), time.fromisoformat(at), tz,
                            date.fromisoformat(snoozed) if snoozed else None,
                            parse_ts(last) if last else None, user_id))
    return out
