"""Core turns through the real service and store on a real SQLite file, and the raw sqlite3 baseline.

A core turn = one `ReflectionService.handle` (or `start`) call, i.e. load the session, topic
matching + risk screen + `Flow.step` (scrub on the closing turn), encrypt the state and persist
it (group commit), plus rendering every output for Discord as the adapter would. A whole
reflection is 9 turns: start, consent, six answers (the last one builds the scrubbed preview),
save (renders the journal entry and stores it).
"""
from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.core import keys as keys_mod
from bot.core.flow import CLOSING, RISK_HOLD, Event
from bot.core.keys import encode_secret, generate_secret
from bot.core.reflection import ReflectionService
from bot.core.render import environment, render_output
from bot.gc_policy import settled
from bot.store import open_store

from bench.workload import MARKER, Answers

TURNS_PER_REFLECTION = 9
RAW_ID_BASE = 731_000_000_000_000_000  # snowflake-like raw ids; must never reach the database


def fresh_dir(root: Path, name: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=name + "-", dir=root))
    return d


def bench_env() -> dict[str, str]:
    return {"BOT_SECRET_KEY": encode_secret(generate_secret())}


@dataclass
class Counters:
    reads: int = 0
    writes: int = 0
    compiles: int = 0
    seal_sizes: list[int] = field(default_factory=list)


class Instrument:
    """Counts database round trips (reads and queued writes) and template compiles, and records
    the sealed sizes (for the raw baseline's rows). Installed on instances only."""

    def __init__(self, store):
        self.c = Counters()
        self.store = store
        conn = store._conn
        orig_exec = conn._execute
        orig_write = store._write
        c = self.c

        async def _execute(fn, *a, **k):
            c.reads += 1
            return await orig_exec(fn, *a, **k)

        def _write(fn):
            c.writes += 1
            return orig_write(fn)

        conn._execute = _execute
        store._write = _write
        env = environment()
        self._env = env
        orig_compile = env.compile

        def compile_(*a, **k):
            c.compiles += 1
            return orig_compile(*a, **k)

        env.compile = compile_
        self._orig_seal = keys_mod.DataKey.seal

        def seal(dk, plaintext, aad, _orig=self._orig_seal):
            blob = _orig(dk, plaintext, aad)
            c.seal_sizes.append(len(blob))
            return blob

        keys_mod.DataKey.seal = seal

    def close(self) -> None:
        keys_mod.DataKey.seal = self._orig_seal
        try:
            del self._env.compile
        except AttributeError:
            pass


def render_outputs(outputs) -> str:
    parts = []
    for o in outputs:
        if o.template:
            parts.append(render_output(o, target="discord"))
    return "\n\n".join(parts)


async def reflection(svc: ReflectionService, owner: str, answers: Answers | list[str], lat: list[float],
                     answer_chars: int = 400) -> int:
    """One whole reflection; appends each turn's latency (seconds). Returns turns done.
    `answers`: a generator, or the six answers made beforehand (so the timed run does not
    include the harness writing them)."""
    pc = time.perf_counter
    given = iter(answers) if isinstance(answers, list) else None
    t0 = pc()
    turn = await svc.start(owner, case="A.B.")
    render_outputs(turn.outputs)
    lat.append(pc() - t0)
    n = 1
    events = [Event("consent", "A.B.")] + [None] * 6 + [Event("save")]
    for ev in events:
        if ev is None:
            ev = Event("answer", next(given) if given is not None else answers.next(answer_chars))
        t0 = pc()
        turn = await svc.handle(owner, turn.session_id, ev)
        render_outputs(turn.outputs)
        lat.append(pc() - t0)
        n += 1
        if turn.phase == RISK_HOLD:  # not expected with the synthetic answers
            turn = await svc.handle(owner, turn.session_id, Event("continue"))
            n += 1
    if turn.phase == CLOSING:
        raise AssertionError("reflection did not end")
    return n


@dataclass
class CoreResult:
    turns: int
    seconds: float
    lat: list[float]
    reads: int
    writes: int
    compiles: int
    seal_sizes: list[int]
    commits: int
    path: Path
    raw_ids: list[int]
    cpu: float = 0.0  # process CPU seconds (all threads, incl. SQLite's) during the timed turns

    @property
    def per_s(self) -> float:
        return self.turns / self.seconds


async def core_run(root: Path, users: int, synchronous: str, seed: int, answer_chars: int = 400,
                   env: dict[str, str] | None = None) -> CoreResult:
    d = fresh_dir(root, f"core-{synchronous.lower()}")
    db = d / "bot.sqlite3"
    env = env or bench_env()
    async with open_store(db, d, synchronous, env=env) as store:
        svc = ReflectionService(store, crisis_resources=("Samaritans: call 116 123",))
        # one warm-up reflection (templates compiled, matcher built) before counting
        await reflection(svc, store.keyring.pseudonym("user", "warmup"), Answers(seed + 10_000), [])
        raw_ids = [RAW_ID_BASE + seed * 100_000 + i for i in range(users)]
        owners = [store.keyring.pseudonym("user", r) for r in raw_ids]
        # every answer written before the clock starts (varied per turn and per supervisee)
        gens = [[g.next(answer_chars) for _ in range(6)] for g in (Answers(seed * 100_000 + i) for i in range(users))]
        inst = Instrument(store)
        batches0 = store.batches
        lat: list[float] = []
        try:
            with settled():  # as the bot runner does after start-up
                cpu0, t0 = time.process_time(), time.perf_counter()
                done = await asyncio.gather(*(reflection(svc, o, g, lat, answer_chars) for o, g in zip(owners, gens)))
                secs = time.perf_counter() - t0
                cpu = time.process_time() - cpu0
        finally:
            inst.close()
        commits = store.batches - batches0
    c = inst.c
    return CoreResult(sum(done), secs, lat, c.reads, c.writes, c.compiles, c.seal_sizes, commits, db, raw_ids, cpu)


def typical_states(n: int = 9, seed: int = 5) -> list[dict]:
    """The session states of one whole reflection, turn by turn (the store-alone floor replays these)."""
    from bot.core.flow import flow_for

    flow = flow_for()
    gen = Answers(seed)
    st, _ = flow.start(case="A.B.")
    states = [st.to_dict()]
    for ev in [Event("consent", "A.B.")] + [Event("answer", gen.next(400)) for _ in range(6)]:
        st, _ = flow.step(st, ev)
        states.append(st.to_dict())
    while len(states) < n:
        states.append(states[-1])
    return states[:n]


async def store_run(root: Path, users: int, synchronous: str, states: list[dict]) -> CoreResult:
    """The floor under the core turn: the same store calls a turn makes (read the session, write
    its new state: decrypt, decode, encode, encrypt, group commit) with NO flow, matching,
    scrubbing or rendering. The core cannot be faster than this."""
    from bot.core.ports import StoredSession

    d = fresh_dir(root, f"store-{synchronous.lower()}")
    db = d / "bot.sqlite3"
    async with open_store(db, d, synchronous, env=bench_env()) as store:
        raw_ids = [RAW_ID_BASE + 90_000_000 + i for i in range(users)]
        owners = [store.keyring.pseudonym("user", r) for r in raw_ids]

        async def one(owner: str, k: int) -> int:
            sid = f"floor{k:08d}"
            await store.put_session(StoredSession(id=sid, owner=owner, status="active", state=states[0]))
            for st in states[1:]:
                got = await store.get_session(owner, sid)
                assert got is not None
                await store.put_session(StoredSession(id=sid, owner=owner, status="active", state=st,
                                                      created_at=got.created_at))
            return len(states)

        await one(store.keyring.pseudonym("user", "warmup"), -1)
        batches0 = store.batches
        with settled():
            cpu0, t0 = time.process_time(), time.perf_counter()
            done = await asyncio.gather(*(one(o, k) for k, o in enumerate(owners)))
            secs = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
        commits = store.batches - batches0
    return CoreResult(sum(done), secs, [], 0, 0, 0, [], commits, db, raw_ids, cpu)


def raw_run(root: Path, sizes: list[int], synchronous: str) -> tuple[int, float, int]:
    """Plain sqlite3: one row per turn of the same size, WAL, same synchronous, one commit each.
    Returns (rows, seconds, payload bytes)."""
    d = fresh_dir(root, f"raw-{synchronous.lower()}")
    db = d / "raw.sqlite3"
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("PRAGMA journal_mode = WAL")
    c.execute(f"PRAGMA synchronous = {synchronous}")
    c.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL, place TEXT, "
              "state BLOB NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)")
    c.execute("CREATE INDEX sessions_owner_status ON sessions (owner, status, updated_at)")
    pool = os.urandom(max(sizes) + 64)
    rows = [(f"s{i:016d}", f"o{i % 997:043d}", "active", None, pool[i % 64:i % 64 + n],
             "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z") for i, n in enumerate(sizes)]
    sql = "INSERT INTO sessions (id, owner, status, place, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    ex = c.execute
    t0 = time.perf_counter()
    for r in rows:
        ex("BEGIN")
        ex(sql, r)
        ex("COMMIT")
    secs = time.perf_counter() - t0
    n = c.execute("SELECT count(*) FROM sessions").fetchone()[0]
    c.close()
    if n != len(sizes):
        raise AssertionError(f"raw baseline stored {n} rows, expected {len(sizes)}")
    return n, secs, sum(len(r[4]) for r in rows)


def scan_db(path: Path, raw_ids: list[int], markers: tuple[str, ...] = (MARKER,)) -> dict:
    """Row counts, and proof that no raw id / answer marker / test identifier is in the file bytes."""
    c = sqlite3.connect(path)
    counts = {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("sessions", "entries", "person_keys")}
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    leaks = [str(r) for r in raw_ids if str(r).encode() in blob]
    leaks += [m for m in markers if m.encode() in blob]
    leaks += [n for n in (b"Maria Gonzalez", b"Jonathan", b"07700 900123", b"jo.smith@example.org") if n in blob]
    return {"counts": counts, "leaks": leaks, "bytes": len(blob)}
