"""The SQLite store (aiosqlite, WAL), implementing bot.core.ports.Store.

One aiosqlite connection per process: its worker thread is the only place SQLite is touched.
Writes use GROUP COMMIT: a caller turns its write into a small function, appends it to a
pending list and (if no batch is queued yet) queues one batch job on the connection thread.
The batch job takes every write waiting at that moment, runs them in ONE `BEGIN IMMEDIATE`
transaction and resolves each caller's future only after COMMIT returned. So `put_session`
is one round trip to the database thread, and N concurrent writers share one commit (one
fsync under synchronous=FULL). If a batch fails, it is rolled back and each write is retried
alone, so one bad write never fails its neighbours.

Privacy: owners and places arrive as keyed pseudonyms; `state` and entry bodies are sealed with
the owner's data key (AES-GCM, associated data = table, row id, owner), so a ciphertext moved
to another row or person fails to open. A person's data key is wrapped by the master key;
`delete_all` deletes that row, with `secure_delete=ON` (set on this connection at open, so
freed pages are zeroed) and a WAL checkpoint so old page images leave the -wal file.

Session row cache (one round trip per turn): the store keeps a bounded LRU (`session_cache_rows`,
default 10,000) of the ENCRYPTED session rows exactly as stored (id, owner, status, place, sealed
state, timestamps), filled when a write of that row commits and when a read finds an open
session. A warm `get_session` is then answered without a database read; the state is decrypted
on every get, so no plaintext is held between turns. Only open (active/paused) sessions are
kept. This is valid ONLY while this process is the single writer of sessions in this database
file. The cache is dropped on `delete_all` (that person's rows), `purge_older_than` and `rewrap`
(key rotation), and, as a safety net, whenever a write batch sees that another connection has
committed to the file since our previous batch (`PRAGMA data_version`); any other UPDATE or
DELETE of a session row through this connection drops that row (temp triggers, see
`_install_hooks`). The data_version check bounds staleness
but does not prevent a lost update if two processes step the same session at the same time,
so do not run a second writer (for example `python -m bot chat` on the bot's database file)
against sessions a running bot is serving. `session_cache_rows=0` turns the cache off.
Memory: each cached row costs ~3 KB of Python heap, so only sessions touched within the last
`session_cache_idle` seconds (default 300: people take minutes, not hours, per answer) stay
cached; an idle reflection costs the cache nothing and its next turn pays one extra read.

A person's data key is created in the same write as their first session row (`put_session`
reads or inserts the key inside that transaction), and a cold `get_session` reads the key row
in the same round trip as the session row; `save_entry(..., session=...)` stores the entry and
the session's final state in one transaction.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import aiosqlite

from bot.core.keys import (
    PENDING_SUFFIX, DataKey, DecryptError, Keyring, KeyProblem, WrongKeyError, find_secret, new_data_key,
    read_key_file, row_aad,
)
from bot.core.ports import Entry, NewEntry, StoredSession
from bot.paths import data_dir as default_data_dir
from bot.store.migrate import migrate

log = logging.getLogger(__name__)

SYNCHRONOUS = ("NORMAL", "FULL")
OPEN_STATUSES = ("active", "paused")
SESSION_CACHE_ROWS = 10_000
SESSION_CACHE_IDLE = 300.0  # seconds: a session untouched this long leaves the cache (idle costs nothing)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def ts(dt: datetime) -> str:
    """Fixed-width UTC text, so string order is time order."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    elif dt.tzinfo is not timezone.utc:
        dt = dt.astimezone(timezone.utc)
    # isoformat is ~4x cheaper than strftime (every write stamps a row); the year is always 4 digits
    return dt.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _dumps(obj: Any) -> bytes:
    # surrogatepass: a lone surrogate (invalid UTF-8 read from stdin with surrogateescape, or a
    # "\ud800" escape in a JSON payload) is kept as typed; json.loads(bytes) reads it back.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------- SQL (prepared once, reused)

_UPSERT_SESSION = (
    "INSERT INTO sessions (id, owner, status, place, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, place = excluded.place, state = excluded.state, "
    "updated_at = excluded.updated_at WHERE sessions.owner = excluded.owner"
)
_UPSERT_SESSION_RETURNING = _UPSERT_SESSION + " RETURNING created_at"
_SESSION_COLS = "id, owner, status, place, state, created_at, updated_at"
_GET_SESSION = f"SELECT {_SESSION_COLS} FROM sessions WHERE id = ? AND owner = ?"
_OPEN_SESSION_FOR = (f"SELECT {_SESSION_COLS} FROM sessions WHERE owner = ? AND status IN ('active', 'paused') "
                     "ORDER BY updated_at DESC LIMIT 1")
_SESSION_AT = (f"SELECT {_SESSION_COLS} FROM sessions WHERE place = ? AND status IN ('active', 'paused') "
               "ORDER BY updated_at DESC LIMIT 1")
_INSERT_ENTRY = ("INSERT INTO entries (id, owner, session_id, created_at, updated_at, case_tag, body) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)")
_MARK_SAVED = "UPDATE sessions SET status = 'saved', updated_at = ? WHERE id = ? AND owner = ?"
_ENTRY_COLS = "id, owner, created_at, updated_at, body"
_GET_ENTRY = f"SELECT {_ENTRY_COLS} FROM entries WHERE id = ? AND owner = ?"
_HISTORY_OF = "SELECT entry_id, seq, edited_at, body FROM entry_history WHERE owner = ? AND entry_id = ? ORDER BY seq"
_HISTORY_OF_OWNER = "SELECT entry_id, seq, edited_at, body FROM entry_history WHERE owner = ? ORDER BY entry_id, seq"
_GET_KEY = "SELECT key_id, wrapped FROM person_keys WHERE owner = ?"
_INSERT_KEY = ("INSERT INTO person_keys (owner, key_id, wrapped, created_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (owner) DO NOTHING")


# --------------------------------------------------------------------------- key loading

def _resolve(db_path: Path | None, data_dir: Path | None, key_file: Path | None) -> tuple[Path, Path, Path]:
    if data_dir is None:
        data_dir = Path(db_path).parent if db_path is not None else default_data_dir()
    data_dir = Path(data_dir)
    db_path = Path(db_path) if db_path is not None else data_dir / "bot.sqlite3"
    key_file = Path(key_file) if key_file is not None else data_dir / "secret.key"
    return db_path, data_dir, key_file


@dataclass
class _DbFacts:
    has_data: bool = False
    check_value: str | None = None
    key_id: str | None = None
    pseudonym_key: bytes | None = None


def _read_facts(conn: sqlite3.Connection) -> _DbFacts:
    facts = _DbFacts()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" in tables:
        meta = dict(conn.execute("SELECT name, value FROM meta"))
        facts.check_value = meta.get("key_check")
        facts.key_id = meta.get("key_id")
        if meta.get("pseudonym_key"):
            facts.pseudonym_key = bytes.fromhex(meta["pseudonym_key"])
    facts.has_data = facts.check_value is not None or any(
        conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() for t in ("person_keys", "sessions", "entries") if t in tables)
    return facts


def _db_facts(db_path: Path) -> _DbFacts:
    if not db_path.exists():
        return _DbFacts()
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return _read_facts(conn)
    finally:
        conn.close()


def _verify(keyring: Keyring, facts: _DbFacts, key_file: Path) -> None:
    if facts.check_value is None:
        return
    if not keyring.matches(facts.check_value):
        hint = ""
        pending = key_file.with_name(key_file.name + PENDING_SUFFIX)
        if pending.exists():
            try:
                if Keyring(read_key_file(pending)).matches(facts.check_value):
                    hint = (f" A key rotation was interrupted after the database switched to the new key, "
                            f"which is in {pending}: run `python -m bot keys rotate` to finish it.")
            except KeyProblem:
                pass
        raise WrongKeyError(
            "The secret key does not match this database (its key check value differs), so the "
            "bot will not start: with this key nothing stored could be read and every pseudonym "
            "would change. Restore the right key file or BOT_SECRET_KEY." + hint)
    if facts.pseudonym_key is not None:
        try:
            keyring.adopt_pseudonym_key(facts.pseudonym_key)
        except DecryptError:
            raise WrongKeyError("The stored pseudonym key does not open with this secret key: the "
                                "database's meta table is damaged or was edited.") from None


def load_keyring(data_dir: Path | None = None, *, db_path: Path | None = None, key_file: Path | None = None,
                 env: dict[str, str] | None = None) -> Keyring:
    """The keyring for this data directory, checked against its database.

    The key comes from env BOT_SECRET_KEY, else `secret.key` in the data directory. A new key file
    (mode 0600) is created only when the database holds no data; with data and no key, or a key
    that does not match the stored check value, this raises a KeyProblem with a clear message.
    """
    db_path, data_dir, key_file = _resolve(db_path, data_dir, key_file)
    facts = _db_facts(db_path)
    source = find_secret(key_file, allow_create=not facts.has_data, env=env)
    keyring = Keyring(source.secret)
    if source.created:
        log.info("created a new secret key file (mode 0600) in the data directory")
    _verify(keyring, facts, key_file)
    return keyring


# --------------------------------------------------------------------------- the store

class SQLiteStore:
    """bot.core.ports.Store on one aiosqlite connection, with group commit for writes."""

    def __init__(self, conn: aiosqlite.Connection, keyring: Keyring, *, db_path: Path, data_dir: Path,
                 key_file: Path, clock: Clock = utc_now, session_cache_rows: int = SESSION_CACHE_ROWS,
                 session_cache_idle: float = SESSION_CACHE_IDLE, idle_clock: Callable[[], float] = time.monotonic):
        self._conn = conn
        self._raw: sqlite3.Connection = conn._conn  # only ever used on the connection's own thread
        self.keyring = keyring
        self.db_path = db_path
        self.data_dir = data_dir
        self.key_file = key_file
        self.clock = clock
        self._loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._pending: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future]] = []
        self._scheduled = False
        self._keys: dict[str, DataKey] = {}
        self._key_locks: dict[str, asyncio.Lock] = {}  # per owner: first turns of different people never wait on each other
        self._closed = False
        self.batches = 0  # number of commits (for tests and benchmarks)
        # session row cache (see the module docstring): sid -> (write seq, sealed row as stored)
        self.session_cache_rows = max(0, session_cache_rows)
        self._rows: OrderedDict[str, tuple[int, tuple]] = OrderedDict()  # least recently touched first
        self.session_cache_idle = session_cache_idle
        self._idle_clock = idle_clock
        self._touched: dict[str, float] = {}  # sid -> when it was last cached or read from the cache
        self._row_seq = 0  # increases with every session write queued
        self._row_gen = 0  # bumped on every invalidation; fills begun before it are dropped
        self._row_inflight: dict[str, int] = {}  # sid -> session writes queued, not yet resolved
        self._data_version: int | None = None  # PRAGMA data_version seen by the last batch (connection thread)
        self._own_session_op = False  # connection thread: a cache-aware session write is running

    def __repr__(self) -> str:
        return f"SQLiteStore(db={self.db_path.name!r})"

    # ----------------------------------------------------------------- plumbing
    def _submit(self, job: Callable[[], Any]) -> None:
        tx = getattr(self._conn, "_tx", None)
        if tx is not None:
            tx.put_nowait((None, job))
        else:  # pragma: no cover - other aiosqlite layouts
            asyncio.ensure_future(self._conn._execute(job))

    def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> asyncio.Future:
        """Queue one write (a function of the sqlite3 connection, run inside the batch's
        transaction). The future resolves after its transaction committed."""
        if self._closed:
            raise RuntimeError("store is closed")
        fut = self._loop.create_future()
        with self._lock:
            self._pending.append((fn, fut))
            schedule = not self._scheduled
            self._scheduled = True
        if schedule:
            self._submit(self._run_batch)
        return fut

    def _run_batch(self) -> None:  # runs on the connection thread
        with self._lock:
            batch, self._pending = self._pending, []
            self._scheduled = False
        if not batch:
            return
        c = self._raw
        results: list[tuple[asyncio.Future, bool, Any]]
        try:
            c.execute("BEGIN IMMEDIATE")
            self._check_external(c)
            values = [fn(c) for fn, _ in batch]
            c.execute("COMMIT")
            self.batches += 1
            results = [(fut, True, v) for (_, fut), v in zip(batch, values)]
        except BaseException as exc:  # roll back, then isolate the failing write
            _rollback(c)
            if len(batch) == 1:
                results = [(batch[0][1], False, exc)]
            else:
                results = [self._run_one(c, fn, fut) for fn, fut in batch]
        try:
            self._loop.call_soon_threadsafe(_resolve_all, results)
        except RuntimeError:  # loop closed
            pass

    def _run_one(self, c: sqlite3.Connection, fn, fut) -> tuple[asyncio.Future, bool, Any]:
        try:
            c.execute("BEGIN IMMEDIATE")
            self._check_external(c)
            value = fn(c)
            c.execute("COMMIT")
            self.batches += 1
            return fut, True, value
        except BaseException as exc:
            _rollback(c)
            return fut, False, exc

    def _check_external(self, c: sqlite3.Connection) -> None:  # connection thread, inside BEGIN IMMEDIATE
        version = c.execute("PRAGMA data_version").fetchone()[0]
        if self._data_version is not None and version != self._data_version:
            try:  # another connection committed since our last batch: the session cache may be stale
                self._loop.call_soon_threadsafe(self._forget_sessions)
            except RuntimeError:  # loop closed
                pass
        self._data_version = version

    # ----------------------------------------------------------------- session row cache (event loop only)
    def _install_hooks(self, c: sqlite3.Connection) -> None:  # connection thread, at open
        """Temp triggers (this connection only, nothing stored in the file): any UPDATE or DELETE
        of a session row through this connection that is not one of the store's own cache-aware
        writes (a maintenance or test `_write`/`_read`, a tamper test) drops that cached row
        before its caller resumes."""
        def touched(sid: Any) -> None:
            if not self._own_session_op:
                try:
                    self._loop.call_soon_threadsafe(self._forget_session_id, sid)
                except RuntimeError:  # loop closed
                    pass

        c.create_function("_bot_session_touched", 1, touched)
        for event in ("UPDATE", "DELETE"):
            c.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS _bot_session_{event.lower()} AFTER {event} ON main.sessions "
                      "BEGIN SELECT _bot_session_touched(OLD.id); END")

    def _forget_session_id(self, sid: Any) -> None:
        self._row_gen += 1
        self._drop(sid)

    def _forget_sessions(self, owner: str | None = None) -> None:
        """Drop cached session rows (all, or one person's); fills already under way are discarded."""
        self._row_gen += 1
        if owner is None:
            self._rows.clear()
            self._touched.clear()
        else:
            for sid in [sid for sid, (_, row) in self._rows.items() if row[1] == owner]:
                self._drop(sid)

    def _cache_row(self, row: tuple, seq: int) -> None:
        sid = row[0]
        if row[2] not in OPEN_STATUSES or not self.session_cache_rows:
            self._drop(sid)  # a finished reflection is not on the hot path any more
            return
        cur = self._rows.get(sid)
        if cur is not None and cur[0] > seq:
            return  # a later write already filled it
        self._rows[sid] = (seq, row)
        self._touch(sid)
        if len(self._rows) > self.session_cache_rows:
            self._touched.pop(self._rows.popitem(last=False)[0], None)

    def _drop(self, sid: str) -> None:
        self._rows.pop(sid, None)
        self._touched.pop(sid, None)

    def _touch(self, sid: str) -> None:
        """Mark a cached row as just used (the LRU order is also the idle order), then let rows
        idle longer than `session_cache_idle` go: from the front, so this stays O(1) amortised."""
        now = self._idle_clock()
        self._rows.move_to_end(sid)
        self._touched[sid] = now
        self.expire_idle(now)

    def expire_idle(self, now: float | None = None) -> int:
        """Drop cached rows untouched for `session_cache_idle` seconds; returns how many went."""
        now = self._idle_clock() if now is None else now
        cutoff = now - self.session_cache_idle
        gone = 0
        while self._rows:
            sid = next(iter(self._rows))
            if self._touched.get(sid, cutoff) > cutoff:
                break
            del self._rows[sid]
            self._touched.pop(sid, None)
            gone += 1
        return gone

    def _fill_from_read(self, row: tuple, gen: int) -> None:
        """A row read from the database: cached only if nothing changed it meanwhile."""
        if gen == self._row_gen and row[0] not in self._row_inflight and row[0] not in self._rows:
            self._cache_row(row, 0)

    async def _write_session(self, sid: str, op: Callable[[sqlite3.Connection], Any],
                             row_of: Callable[[Any], tuple | None]) -> Any:
        """Queue a write that changes session `sid`; once committed, cache `row_of(result)`
        (None: just drop the cached row). On any failure (or cancellation, after which the
        write may still commit) the cached row is dropped."""
        self._row_seq += 1
        seq, gen = self._row_seq, self._row_gen
        self._row_inflight[sid] = self._row_inflight.get(sid, 0) + 1

        def own(c: sqlite3.Connection) -> Any:
            self._own_session_op = True
            try:
                return op(c)
            finally:
                self._own_session_op = False

        try:
            value = await self._write(own)
        except BaseException:
            self._drop(sid)
            raise
        finally:
            left = self._row_inflight[sid] - 1
            if left:
                self._row_inflight[sid] = left
            else:
                del self._row_inflight[sid]
        row = row_of(value)
        if row is None or gen != self._row_gen:
            self._drop(sid)
        else:
            self._cache_row(row, seq)
        return value

    async def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a read function on the connection thread (one round trip)."""
        return await self._conn._execute(fn, self._raw, *args)

    async def _fetch(self, sql: str, params: tuple) -> list[tuple]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def flush(self) -> None:
        """Wait until every write queued so far is committed."""
        await self._write(lambda c: None)

    # ----------------------------------------------------------------- data keys
    async def _data_key(self, owner: str, create: bool) -> DataKey | None:
        dk = self._keys.get(owner)
        if dk is not None:
            return dk
        lock = self._key_locks.setdefault(owner, asyncio.Lock())
        try:
            return await self._data_key_locked(owner, create, lock)
        finally:
            self._key_locks.pop(owner, None)  # a racing create is still safe: INSERT ... DO NOTHING, then re-read

    async def _data_key_locked(self, owner: str, create: bool, lock: asyncio.Lock) -> DataKey | None:
        async with lock:
            dk = self._keys.get(owner)
            if dk is not None:
                return dk
            rows = await self._fetch(_GET_KEY, (owner,))
            if not rows and create:
                raw = new_data_key()
                wrapped = self.keyring.wrap(raw, owner)
                stamp = ts(self.clock())
                inserted = await self._write(
                    lambda c: c.execute(_INSERT_KEY, (owner, self.keyring.key_id, wrapped, stamp)).rowcount)
                if inserted:
                    dk = DataKey(raw)
                else:
                    rows = await self._fetch(_GET_KEY, (owner,))
            if dk is None and rows:
                key_id, wrapped = rows[0]
                if key_id != self.keyring.key_id:
                    raise WrongKeyError("a person's data key is wrapped under another master key "
                                        "(an interrupted rotation?); run `python -m bot keys check`")
                dk = DataKey(self.keyring.unwrap(wrapped, owner))
            if dk is not None:
                self._keys[owner] = dk
            return dk

    def _key_from_row(self, owner: str, key_id: str, wrapped: bytes, keyring: Keyring | None = None) -> DataKey:
        keyring = keyring or self.keyring
        if key_id != keyring.key_id:
            raise WrongKeyError("a person's data key is wrapped under another master key "
                                "(an interrupted rotation?); run `python -m bot keys check`")
        return DataKey(keyring.unwrap(wrapped, owner))

    # ----------------------------------------------------------------- sessions
    async def put_session(self, session: StoredSession) -> None:
        """Insert or update the session: ONE queued write. For a person without a cached data key
        the key is read, or created and inserted, inside that same transaction."""
        owner, sid = session.owner, session.id
        now = self.clock()
        if session.created_at is None:
            session.created_at = now
        session.updated_at = now
        head = (sid, owner, session.status, session.place)
        stamps = (ts(session.created_at), ts(now))
        aad = row_aad("sessions", sid, owner)
        dk = self._keys.get(owner)
        if dk is not None:
            blob = dk.seal(_dumps(session.state), aad)

            def op(c: sqlite3.Connection) -> tuple:
                return _upsert_session(c, (*head, blob, *stamps)), None, blob
        else:
            op = self._first_write_op(owner, _dumps(session.state), aad, head, stamps)
        _, new_dk, _ = await self._write_session(sid, op, lambda v: (*head, v[2], v[0], stamps[1]))
        if new_dk is not None:
            self._keys.setdefault(owner, new_dk)

    def _first_write_op(self, owner: str, plain: bytes, aad: bytes, head: tuple,
                        stamps: tuple) -> Callable[[sqlite3.Connection], tuple]:
        """The write for a person whose data key is not cached: in its transaction, read their key
        or insert a new one (a concurrent first write of the same person is serialised on the
        connection thread and finds the key), then seal and upsert on the connection thread.
        Returns (stored created_at, the data key, the sealed blob)."""
        keyring = self.keyring
        raw = new_data_key()
        wrapped = keyring.wrap(raw, owner)
        key_stamp = ts(self.clock())

        def op(c: sqlite3.Connection) -> tuple:
            row = c.execute(_GET_KEY, (owner,)).fetchone()
            if row is None:
                c.execute(_INSERT_KEY, (owner, keyring.key_id, wrapped, key_stamp))
                dk = DataKey(raw)
            else:
                dk = self._key_from_row(owner, *row, keyring=keyring)
            blob = dk.seal(plain, aad)
            return _upsert_session(c, (*head, blob, *stamps)), dk, blob

        return op

    def _session_from(self, row: tuple, dk: DataKey | None) -> StoredSession:
        sid, owner, status, place, blob, created, updated = row
        unreadable = False
        state: dict[str, Any] = {}
        try:
            if dk is None:
                raise DecryptError("no data key")
            state = json.loads(dk.open(blob, row_aad("sessions", sid, owner)))
        except (DecryptError, ValueError):
            log.warning("session %s could not be decrypted (tampered, or its key is gone)", sid)
            unreadable = True
        session = StoredSession(id=sid, owner=owner, status=status, state=state, place=place,
                                created_at=parse_ts(created), updated_at=parse_ts(updated))
        if unreadable:
            session.unreadable = True
        return session

    async def _one_session(self, sql: str, params: tuple) -> StoredSession | None:
        """One read: the session row and, when the owner's key is not cached, their key row."""
        keys = self._keys
        gen = self._row_gen

        def read(c: sqlite3.Connection) -> tuple[tuple | None, tuple | None]:
            row = c.execute(sql, params).fetchone()
            if row is None or row[1] in keys:
                return row, None
            return row, c.execute(_GET_KEY, (row[1],)).fetchone()

        row, key_row = await self._read(read)
        if row is None:
            return None
        self._fill_from_read(row, gen)
        owner = row[1]
        dk = self._keys.get(owner)
        if dk is None and key_row is not None:
            try:
                dk = self._keys.setdefault(owner, self._key_from_row(owner, *key_row))
            except DecryptError:
                dk = None
        elif dk is None:  # the key was cached when the read began, and dropped since (delete_all)
            try:
                dk = await self._data_key(owner, create=False)
            except DecryptError:
                dk = None
        return self._session_from(row, dk)

    async def get_session(self, owner: str, session_id: str) -> StoredSession | None:
        hit = self._rows.get(session_id)
        if hit is not None:
            row = hit[1]
            if row[1] != owner:
                return None  # the row belongs to someone else: "not found", as the database would say
            dk = self._keys.get(owner)
            if dk is not None:
                self._touch(session_id)
                return self._session_from(row, dk)
        return await self._one_session(_GET_SESSION, (session_id, owner))

    async def open_session_for(self, owner: str) -> StoredSession | None:
        return await self._one_session(_OPEN_SESSION_FOR, (owner,))

    async def session_at(self, place: str) -> StoredSession | None:
        return await self._one_session(_SESSION_AT, (place,))

    # ----------------------------------------------------------------- entries
    async def save_entry(self, owner: str, session_id: str | None, entry: NewEntry,
                         session: StoredSession | None = None) -> str:
        """Store the entry and, in the same transaction, mark the session saved, or, when
        `session` (the session's final state, same id and owner) is given, write that instead
        (one round trip for the save turn)."""
        if session is not None and (session.id != session_id or session.owner != owner):
            raise ValueError("session does not match session_id/owner")
        dk = await self._data_key(owner, create=True)
        entry_id = secrets.token_urlsafe(9)
        now = self.clock()
        stamp = ts(now)
        body = dk.seal(_dumps(_entry_body(entry)), row_aad("entries", entry_id, owner))
        tag = dk.case_tag(entry.case) if entry.case else None
        entry_row = (entry_id, owner, session_id, stamp, stamp, tag, body)
        if session_id is None:
            await self._write(lambda c: c.execute(_INSERT_ENTRY, entry_row))
            return entry_id
        if session is None:
            def mark(c: sqlite3.Connection) -> None:
                c.execute(_INSERT_ENTRY, entry_row)
                c.execute(_MARK_SAVED, (stamp, session_id, owner))

            await self._write_session(session_id, mark, lambda v: None)
            return entry_id
        if session.created_at is None:
            session.created_at = now
        session.updated_at = now
        head = (session_id, owner, session.status, session.place)
        stamps = (ts(session.created_at), stamp)
        blob = dk.seal(_dumps(session.state), row_aad("sessions", session_id, owner))

        def both(c: sqlite3.Connection) -> str:
            c.execute(_INSERT_ENTRY, entry_row)
            return _upsert_session(c, (*head, blob, *stamps))

        await self._write_session(session_id, both, lambda created: (*head, blob, created, stamp))
        return entry_id

    def _entry_from(self, row: tuple, dk: DataKey | None, history: list[tuple]) -> Entry:
        eid, owner, created, updated, blob = row
        try:
            if dk is None:
                raise DecryptError("no data key")
            data = json.loads(dk.open(blob, row_aad("entries", eid, owner)))
        except (DecryptError, ValueError):
            log.warning("journal entry %s could not be decrypted (tampered, or its key is gone)", eid)
            return Entry(id=eid, owner=owner, created_at=parse_ts(created), updated_at=parse_ts(updated), text="",
                         answers={}, topics=[], case=None, skipped=[], prompt=None, unreadable=True)
        versions = []
        unreadable = False
        for _, seq, edited_at, hblob in history:
            try:
                old = json.loads(dk.open(hblob, row_aad("entry_history", eid, owner, str(seq))))
                versions.append({"text": old["text"], "edited_at": old.get("edited_at"), "replaced_at": edited_at})
            except (DecryptError, ValueError, KeyError):
                log.warning("an earlier version of journal entry %s could not be decrypted", eid)
                unreadable = True
        return Entry(id=eid, owner=owner, created_at=parse_ts(created), updated_at=parse_ts(updated),
                     text=data.get("text", ""), answers=data.get("answers", {}), topics=data.get("topics", []),
                     case=data.get("case"), skipped=data.get("skipped", []), prompt=data.get("prompt"),
                     history=versions, unreadable=unreadable)

    async def _owner_key_or_none(self, owner: str) -> DataKey | None:
        try:
            return await self._data_key(owner, create=False)
        except DecryptError:
            log.warning("a person's data key could not be unwrapped; their rows are unreadable")
            return None

    async def list_entries(self, owner: str, since: datetime | None = None, until: datetime | None = None,
                           case: str | None = None) -> list[Entry]:
        dk = await self._owner_key_or_none(owner)
        sql = f"SELECT {_ENTRY_COLS} FROM entries WHERE owner = ?"
        params: list[Any] = [owner]
        if since is not None:
            sql += " AND created_at >= ?"
            params.append(ts(since))
        if until is not None:
            sql += " AND created_at <= ?"
            params.append(ts(until))
        if case is not None:
            if dk is None:
                return []
            sql += " AND case_tag = ?"
            params.append(dk.case_tag(case))
        sql += " ORDER BY created_at DESC, id"

        def read(c: sqlite3.Connection) -> tuple[list[tuple], list[tuple]]:
            rows = c.execute(sql, params).fetchall()
            hist = c.execute(_HISTORY_OF_OWNER, (owner,)).fetchall() if rows else []
            return rows, hist

        rows, hist = await self._read(read)
        by_entry: dict[str, list[tuple]] = {}
        for h in hist:
            by_entry.setdefault(h[0], []).append(h)
        return [self._entry_from(r, dk, by_entry.get(r[0], [])) for r in rows]

    async def get_entry(self, owner: str, entry_id: str) -> Entry | None:
        def read(c: sqlite3.Connection):
            rows = c.execute(_GET_ENTRY, (entry_id, owner)).fetchall()
            return rows, (c.execute(_HISTORY_OF, (owner, entry_id)).fetchall() if rows else [])

        rows, hist = await self._read(read)
        if not rows:
            return None
        return self._entry_from(rows[0], await self._owner_key_or_none(owner), hist)

    async def edit_entry(self, owner: str, entry_id: str, text: str) -> bool:
        """Replace the text; the previous version goes to entry_history (encrypted). Raises
        DecryptError if the current version is unreadable (nothing is changed then)."""
        dk = await self._owner_key_or_none(owner)
        if dk is None:
            return False
        now = ts(self.clock())

        def op(c: sqlite3.Connection) -> bool:
            row = c.execute(_GET_ENTRY, (entry_id, owner)).fetchone()
            if row is None:
                return False
            _, _, _, updated, blob = row
            data = json.loads(dk.open(blob, row_aad("entries", entry_id, owner)))
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM entry_history WHERE entry_id = ?", (entry_id,)).fetchone()[0]
            old = dk.seal(_dumps({"text": data.get("text", ""), "edited_at": updated}),
                          row_aad("entry_history", entry_id, owner, str(seq)))
            c.execute("INSERT INTO entry_history (entry_id, seq, owner, edited_at, body) VALUES (?, ?, ?, ?, ?)",
                      (entry_id, seq, owner, now, old))
            data["text"] = text
            c.execute("UPDATE entries SET body = ?, updated_at = ? WHERE id = ? AND owner = ?",
                      (dk.seal(_dumps(data), row_aad("entries", entry_id, owner)), now, entry_id, owner))
            return True

        return await self._write(op)

    async def delete_entry(self, owner: str, entry_id: str) -> bool:
        def op(c: sqlite3.Connection) -> bool:
            if c.execute("DELETE FROM entries WHERE id = ? AND owner = ?", (entry_id, owner)).rowcount != 1:
                return False
            c.execute("DELETE FROM entry_history WHERE entry_id = ? AND owner = ?", (entry_id, owner))
            c.execute("DELETE FROM entry_facts WHERE entry_id = ? AND author = ?", (entry_id, owner))
            return True

        return await self._write(op)

    async def delete_all(self, owner: str) -> int:
        """Remove every row of this person and destroy their data key. Returns the number of
        journal entries removed. Freed pages are zeroed (secure_delete) and the WAL is
        checkpointed and truncated, so the old page images leave the -wal file too."""
        def op(c: sqlite3.Connection) -> int:
            c.execute("DELETE FROM entry_history WHERE owner = ?", (owner,))
            n = c.execute("DELETE FROM entries WHERE owner = ?", (owner,)).rowcount
            c.execute("DELETE FROM sessions WHERE owner = ?", (owner,))
            c.execute("DELETE FROM person_keys WHERE owner = ?", (owner,))
            # the person's rows of the supervision side: digest facts, shares, reminders
            c.execute("DELETE FROM entry_facts WHERE author = ?", (owner,))
            c.execute("DELETE FROM shares WHERE author = ?", (owner,))
            c.execute("DELETE FROM reminders WHERE member = ?", (owner,))
            return n

        self._forget_sessions(owner)
        try:
            n = await self._write(op)
        finally:
            self._forget_sessions(owner)
            self._keys.pop(owner, None)
        await self.checkpoint()
        log.info("erased one person's data (%d entries) and destroyed their data key", n)
        return n

    async def purge_older_than(self, days: int, now: datetime | None = None, owner: str | None = None) -> int:
        """Retention: delete entries (with their history) and sessions last touched more than
        `days` days before `now`, for one owner or everyone. Returns the entries removed."""
        if days < 0:
            raise ValueError("days must be >= 0")
        cutoff = ts((now or self.clock()) - timedelta(days=days))
        scope = "" if owner is None else " AND owner = ?"
        extra: tuple = () if owner is None else (owner,)

        def op(c: sqlite3.Connection) -> int:
            c.execute("DELETE FROM entry_history WHERE entry_id IN "
                      f"(SELECT id FROM entries WHERE created_at < ?{scope})", (cutoff, *extra))
            n = c.execute(f"DELETE FROM entries WHERE created_at < ?{scope}", (cutoff, *extra)).rowcount
            c.execute(f"DELETE FROM sessions WHERE updated_at < ?{scope}", (cutoff, *extra))
            c.execute(f"DELETE FROM entry_facts WHERE created_at < ?{scope.replace('owner', 'author')}", (cutoff, *extra))
            return n

        self._forget_sessions()
        try:
            n = await self._write(op)
        finally:
            self._forget_sessions()
        if n:
            await self.checkpoint()
        return n

    # ----------------------------------------------------------------- maintenance
    async def checkpoint(self) -> None:
        await self._read(lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())

    async def vacuum(self) -> None:
        await self.flush()
        await self._read(lambda c: c.execute("VACUUM"))
        await self.checkpoint()

    async def integrity_check(self) -> str:
        return (await self._read(lambda c: c.execute("PRAGMA integrity_check").fetchone()))[0]

    async def check_all_keys(self) -> tuple[int, int]:
        """(wrapped keys that open, wrapped keys that do not)."""
        rows = await self._fetch("SELECT owner, key_id, wrapped FROM person_keys", ())
        ok = bad = 0
        for owner, key_id, wrapped in rows:
            try:
                if key_id != self.keyring.key_id:
                    raise DecryptError("other key id")
                self.keyring.unwrap(wrapped, owner)
                ok += 1
            except DecryptError:
                bad += 1
        return ok, bad

    async def rewrap(self, new: Keyring) -> int:
        """Re-wrap every data key (and the pseudonym key) under `new`, in ONE transaction,
        and store its check value. Returns the number of data keys re-wrapped."""
        old = self.keyring

        def op(c: sqlite3.Connection) -> int:
            rows = c.execute("SELECT owner, key_id, wrapped FROM person_keys").fetchall()
            for owner, key_id, wrapped in rows:
                if key_id != old.key_id:
                    raise WrongKeyError("a data key is wrapped under an unknown master key")
                raw = old.unwrap(wrapped, owner)
                c.execute("UPDATE person_keys SET key_id = ?, wrapped = ? WHERE owner = ?",
                          (new.key_id, new.wrap(raw, owner), owner))
            _write_meta(c, new)
            return len(rows)

        self._forget_sessions()
        try:
            n = await self._write(op)
        finally:
            self._forget_sessions()
        self.keyring = new
        return n

    async def close(self) -> None:
        if self._closed:
            return
        try:
            await self.flush()
        finally:  # a failed flush (database locked, disk full) must still close the connection,
            self._closed = True  # else its non-daemon thread keeps the process alive forever
            await self._conn.close()


def _upsert_session(c: sqlite3.Connection, params: tuple) -> str:
    """Insert or update one session row; returns its stored created_at."""
    rows = c.execute(_UPSERT_SESSION_RETURNING, params).fetchall()
    if len(rows) != 1:
        raise PermissionError("session id already belongs to another owner")
    return rows[0][0]


def _entry_body(entry: NewEntry) -> dict[str, Any]:
    return {"text": entry.text, "answers": dict(entry.answers), "topics": list(entry.topics), "case": entry.case,
            "skipped": list(entry.skipped), "prompt": entry.prompt}


def _write_meta(c: sqlite3.Connection, keyring: Keyring) -> None:
    for name, value in (("key_check", keyring.check_value), ("key_id", keyring.key_id),
                        ("pseudonym_key", keyring.wrapped_pseudonym_key().hex())):
        c.execute("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                  (name, value))


def _rollback(c: sqlite3.Connection) -> None:
    try:
        if c.in_transaction:
            c.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _resolve_all(results: list[tuple[asyncio.Future, bool, Any]]) -> None:
    for fut, ok, value in results:
        if fut.done():
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)


# --------------------------------------------------------------------------- opening

def _prepare(c: sqlite3.Connection, synchronous: str, keyring: Keyring, key_file: Path) -> None:
    """On the connection thread: pragmas, migrations, key check (stored on first start)."""
    c.execute("PRAGMA journal_mode = WAL")
    c.execute(f"PRAGMA synchronous = {synchronous}")
    c.execute("PRAGMA foreign_keys = ON")
    c.execute("PRAGMA busy_timeout = 10000")
    c.execute("PRAGMA secure_delete = ON")
    migrate(c)
    facts = _read_facts(c)
    if facts.check_value is None:
        c.execute("BEGIN IMMEDIATE")
        try:
            if _read_facts(c).check_value is None:
                _write_meta(c, keyring)
            c.execute("COMMIT")
        except BaseException:
            _rollback(c)
            raise
        facts = _read_facts(c)
    _verify(keyring, facts, key_file)


@asynccontextmanager
async def open_store(db_path: Path | None = None, data_dir: Path | None = None, synchronous: str = "NORMAL", *,
                     key_file: Path | None = None, clock: Clock | None = None,
                     env: dict[str, str] | None = None,
                     session_cache_rows: int = SESSION_CACHE_ROWS,
                     session_cache_idle: float = SESSION_CACHE_IDLE) -> AsyncIterator[SQLiteStore]:
    """Open (creating and migrating) the SQLite store.

    Defaults: data directory = bot.paths.data_dir() (or the folder of `db_path` when only that is
    given), database = <data dir>/bot.sqlite3, key file = <data dir>/secret.key. Refuses to start
    (KeyProblem) on a missing key with existing data, a malformed or wrong key, or a key file
    readable by others.
    """
    synchronous = synchronous.upper()
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
    db_path, data_dir, key_file = _resolve(db_path, data_dir, key_file)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    keyring = load_keyring(data_dir, db_path=db_path, key_file=key_file, env=env)
    conn = await aiosqlite.connect(db_path, isolation_level=None, cached_statements=256, timeout=10)
    try:
        await conn._execute(_prepare, conn._conn, synchronous, keyring, key_file)
        store = SQLiteStore(conn, keyring, db_path=db_path, data_dir=data_dir, key_file=key_file,
                            clock=clock or utc_now, session_cache_rows=session_cache_rows,
                            session_cache_idle=session_cache_idle)
        await conn._execute(store._install_hooks, conn._conn)
    except BaseException:
        await conn.close()
        raise
    try:
        yield store
    finally:
        await store.close()
