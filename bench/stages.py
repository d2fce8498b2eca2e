"""Each stage alone (topic matching, scrubbing, the word-set baseline, rendering a turn, encryption),
interleaved over rounds in one process; and the open-loop latency test at a steady rate."""
from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
from pathlib import Path

from bot.core.content import get_pack
from bot.core.flow import Event, flow_for
from bot.core.keys import DataKey, new_data_key, row_aad
from bot.core.privacy import scrub
from bot.core.reflection import ReflectionService
from bot.core.topics import topic_matcher
from bot.gc_policy import settled
from bot.store import open_store

from bench.core import Answers, bench_env, fresh_dir, render_outputs

_WORD = re.compile(r"[a-z0-9']+")


def word_set() -> frozenset[str]:
    words = set()
    for t in get_pack().topics:
        for c in t.cues:
            words.update(_WORD.findall(c.lower().rstrip("*")))
    return frozenset(words)


def baseline_lookup(words: frozenset[str], text: str) -> list[str]:
    """The plain word-set lookup the targets are relative to."""
    return [w for w in _WORD.findall(text.lower()) if w in words]


def _time_calls(fn, inputs: list, min_seconds: float) -> float:
    """Seconds per call (loops over the inputs until min_seconds passed)."""
    n, t0 = 0, time.perf_counter()
    while True:
        for x in inputs:
            fn(x)
        n += len(inputs)
        el = time.perf_counter() - t0
        if el >= min_seconds:
            return el / n


def stage_variants(answer_chars: int = 400):
    """{name: (fn, inputs)}; long (4,000-char) and typical (answer_chars) inputs, varied per call."""
    pack = get_pack()
    matcher = topic_matcher(pack)
    words = word_set()
    gen = Answers(424242)
    long_texts = [gen.next(4000) for _ in range(16)]
    short_texts = [gen.next(answer_chars) for _ in range(32)]
    plain_texts = [gen.next(4000, identifiers=False) for _ in range(16)]  # no names / digits at all
    # a typical answer turn's outputs (Passages + next Question) for the render stage
    flow = flow_for(pack)
    outs = []
    for t in short_texts[:16]:
        st, _ = flow.start(case="A.B.")
        st, _ = flow.step(st, Event("consent", "A.B."))
        _, o = flow.step(st, Event("answer", t))
        outs.append(o)
    dk = DataKey(new_data_key())
    st, _ = flow.start(case="A.B.")
    st, _ = flow.step(st, Event("consent", "A.B."))
    for t in short_texts[:3]:
        st, _ = flow.step(st, Event("answer", t))
    blobs = [json.dumps(dict(st.to_dict(), turns=i), separators=(",", ":")).encode() for i in range(16)]
    aad = row_aad("sessions", "s" * 16, "o" * 40)
    return {
        "match_4000": (matcher.match, long_texts),
        "scrub_4000": (scrub, long_texts),
        "wordset_4000": (lambda t: baseline_lookup(words, t), long_texts),
        "scrub_4000_no_identifiers": (scrub, plain_texts),
        "match_answer": (matcher.match, short_texts),
        "scrub_answer": (scrub, short_texts),
        "render_turn": (render_outputs, outs),
        "encrypt_state": (lambda b: dk.seal(b, aad), blobs),
    }


def run_stages(rounds: int, min_seconds: float) -> dict[str, list[float]]:
    variants = stage_variants()
    # outputs checked before timing: every variant is deterministic on its inputs (except encryption,
    # whose nonce is random: there the ciphertext must open to the same plaintext)
    for name, (fn, inputs) in variants.items():
        if name == "encrypt_state":
            continue
        for x in inputs[:4]:
            if repr(fn(x)) != repr(fn(x)):
                raise AssertionError(f"stage {name} is not deterministic")
    names = list(variants)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            fn, inputs = variants[n]
            out[n].append(_time_calls(fn, inputs, min_seconds))
    return out


# ------------------------------------------------------------------------------ open loop


class _Supervisee:
    def __init__(self, svc: ReflectionService, owner: str, answers: Answers):
        self.svc, self.owner, self.answers = svc, owner, answers
        self.turn = None
        self.k = 0
        self.prev: asyncio.Task | None = None

    async def one_turn(self) -> None:
        svc = self.svc
        if self.turn is None or self.k >= 8:
            self.turn = await svc.start(self.owner, case="A.B.")
            self.k = 0
        elif self.k == 0:
            self.turn = await svc.handle(self.owner, self.turn.session_id, Event("consent", "A.B."))
            self.k = 1
        elif self.k < 7:
            self.turn = await svc.handle(self.owner, self.turn.session_id, Event("answer", self.answers.next(400)))
            self.k += 1
        else:
            self.turn = await svc.handle(self.owner, self.turn.session_id, Event("save"))
            self.k = 8
        render_outputs(self.turn.outputs)


async def _open_loop(rate: float, seconds: float, work) -> list[float]:
    """Arrivals at fixed times (not after the previous finished); latency from the scheduled
    arrival to completion, so any harness or loop delay is counted, never hidden."""
    loop = asyncio.get_running_loop()
    n = int(rate * seconds)
    lat: list[float] = []
    tasks = []

    async def run(k: int, due: float) -> None:
        await work(k)
        lat.append(loop.time() - due)

    start = loop.time() + 0.05
    for k in range(n):
        due = start + k / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(run(k, due)))
    await asyncio.gather(*tasks)
    return lat


async def open_loop(root: Path, rate: float, seconds: float, rounds: int, synchronous: str = "NORMAL",
                    pool: int = 100) -> dict[str, list[float]]:
    d = fresh_dir(root, "openloop")
    async with open_store(d / "bot.sqlite3", d, synchronous, env=bench_env()) as store:
        svc = ReflectionService(store, crisis_resources=("Samaritans: call 116 123",))
        people = [_Supervisee(svc, store.keyring.pseudonym("user", f"ol{i}"), Answers(7000 + i)) for i in range(pool)]
        for p in people:  # warm: keys created, templates compiled
            await p.one_turn()

        async def real(k: int) -> None:
            p = people[k % pool]
            prev = p.prev
            p.prev = asyncio.current_task()
            if prev is not None and not prev.done():
                await asyncio.shield(prev)
            await p.one_turn()

        async def control(k: int) -> None:
            return None

        out = {"real": [], "control": []}
        with settled():  # as the bot runner does once started
            for r in range(rounds):
                for name in (("control", "real") if r % 2 == 0 else ("real", "control")):
                    secs = seconds if name == "real" else max(seconds / 2, 0.5)
                    out[name] += await _open_loop(rate, secs, real if name == "real" else control)
    return out


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")
