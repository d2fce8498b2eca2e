"""Memory per idle session, and proof that no raw answer text stays in memory after its turn."""
from __future__ import annotations

import asyncio
import gc
import os
import tracemalloc
from pathlib import Path

from bot.core.flow import Event
from bot.core.reflection import ReflectionService
from bot.store import open_store

from bench.core import bench_env, fresh_dir
from bench.workload import MARKER, Answers


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _strings_with(marker: str) -> int:
    """Strings containing `marker` referenced from any GC-tracked container (dicts, lists, frames...)."""
    found = 0
    for obj in gc.get_objects():
        for ref in gc.get_referents(obj):
            if type(ref) is str and marker in ref and ref != marker:
                found += 1
    return found


async def idle_sessions(root: Path, sessions: int, synchronous: str = "NORMAL", concurrency: int = 500) -> dict:
    """Open `sessions` reflections (start, consent, one answer each: idle at question 2) and measure
    what the process holds for them: Python heap (tracemalloc) and resident set (RSS) deltas.

    "Idle" is what the store means by it: untouched for its `session_cache_idle` seconds, after
    which the encrypted row leaves the turn cache. Instead of sleeping 5 minutes, the bench moves
    the cache's idle clock past that point (`expire_idle(now=...)`), exactly what waiting does.
    The heap held while the sessions are still hot (cached) is reported too."""
    d = fresh_dir(root, "memory")
    async with open_store(d / "bot.sqlite3", d, synchronous, env=bench_env()) as store:
        svc = ReflectionService(store, crisis_resources=("Samaritans: call 116 123",))
        gen = Answers(99)

        async def one(i: int) -> None:
            owner = store.keyring.pseudonym("user", f"idle{i}")
            t = await svc.start(owner, case="A.B.")
            t = await svc.handle(owner, t.session_id, Event("consent", "A.B."))
            await svc.handle(owner, t.session_id, Event("answer", gen.next(400)))

        await asyncio.gather(*(one(-1 - i) for i in range(50)))  # warm-up
        sem = asyncio.Semaphore(concurrency)

        async def bounded(i: int) -> None:
            async with sem:
                await one(i)

        # RSS over all the sessions (no tracemalloc running: its own bookkeeping would count)
        gc.collect()
        rss0 = rss_bytes()
        await asyncio.gather(*(bounded(i) for i in range(sessions)))
        await store.flush()
        idle_later = store._idle_clock() + store.session_cache_idle + 1
        store.expire_idle(now=idle_later)
        gc.collect()
        rss1 = rss_bytes()
        # Python heap (tracemalloc) over a further tenth, on top of the `sessions` already open
        extra = max(100, sessions // 10)
        tracemalloc.start()
        heap0 = tracemalloc.get_traced_memory()[0]
        await asyncio.gather(*(bounded(sessions + i) for i in range(extra)))
        await store.flush()
        gc.collect()
        heap_hot = tracemalloc.get_traced_memory()[0]
        store.expire_idle(now=store._idle_clock() + store.session_cache_idle + 1)
        gc.collect()
        heap1 = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        left = _strings_with(MARKER)
        counts = (await store._fetch("SELECT count(*) FROM sessions WHERE status = 'active'", ()))[0][0]
    return {
        "sessions": sessions,
        "open_in_db": counts,
        "heap_bytes_per_session": (heap1 - heap0) / extra,
        "heap_bytes_per_hot_session": (heap_hot - heap0) / extra,
        "rss_bytes_per_session": max(0, rss1 - rss0) / sessions,
        "answer_strings_in_memory": left,
    }
