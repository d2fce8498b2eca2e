"""Load: many simulated supervisees reflecting at once through the fake Discord, with faults.

Each supervisee runs /reflect in a DM, consents, answers questions through the Answer button's
modal, and every third one finishes and saves. Meanwhile 429s (with the server's retry_after) hit
some of the DMs and the gateway connection is dropped and resumed. Afterwards every answer is
accounted for exactly once: in the journal (saved) or still in the open session, never twice,
never lost.

Measured on the 2-core dev box: 500 supervisees in 17-27 s (10 runs, while other work shared the
cores). Profile (cProfile, 500): the bot's handlers ~1/3 of CPU (Jinja rendering incl. button
labels ~2 s), discord.py's HTTP client ~15% (its rate-limit bucket sweep runs on every request
once there are >256 buckets, one per DM), the fake's REST + gateway ~15%, DEBUG logging through
four handlers ~10%, SQLite under 3%.
"""
from __future__ import annotations

import asyncio
import os
import time

from bot.core.flow import State
from tests.discord_support import assert_no_pings, world  # noqa: F401
from tests.fakediscord.state import iter_components
from tests.hardening.conftest import private_id
from tests.test_discord_reflect import next_with_buttons

# The target; LOAD_N overrides it for measuring.
N = int(os.environ.get("LOAD_N", "500"))
BOUND = 60.0  # seconds for the whole burst
LETTERS = "abcdefghij"


def _tag(i: int, k: int) -> str:
    """A per-answer marker the scrubber leaves alone (letters, no digits)."""
    return "".join(LETTERS[int(d)] for d in str(i)) + "x" + LETTERS[k]


def _answer(i: int, k: int) -> str:
    return f"load answer {_tag(i, k)} about the session and my own reaction"


async def _modal_answer(fake, person, msg, value, timeout):
    inter = await fake.click(person, msg, "Answer")
    await inter.response(timeout)
    comp = next(c for c in iter_components(inter.modal["components"]) if c.get("type") == 4)
    sub = await fake.submit_modal(person, inter, {comp["custom_id"]: value})
    await sub.response(timeout)


async def test_many_supervisees_reflect_at_once_with_faults_every_answer_once(world):
    fake = world.fake
    people = [fake.create_member(world.guild, f"load{i}") for i in range(N)]
    private_id(*(p.id for p in people))
    wait = 45.0
    async with world.bot():
        keyring = world.current.services.keyring
        faults: list = []
        answered = [0]

        async def one(i, person):
            await (await fake.slash(person, "reflect", guild=world.guild, where="dm")).original(timeout=wait)
            dm = fake.dm_channel(person)
            await (await fake.click(person, await next_with_buttons(fake, dm, wait), "Begin")).response(wait)
            for k in range(2 + (i % 2)):
                msg = await next_with_buttons(fake, dm, wait)
                if k == 0 and i % 7 == 0:
                    faults.append(fake.inject_fault("POST", f"/channels/{dm.id}/messages", status=429, times=1,
                                                    retry_after=0.1))
                if k == 1 and i % 11 == 0:
                    faults.append(fake.inject_fault("POST", f"/channels/{dm.id}/messages", status=502, times=1))
                await _modal_answer(fake, person, msg, _answer(i, k), wait)
                answered[0] += 1
            if i % 3 == 0:
                msg = await next_with_buttons(fake, dm, wait)
                await (await fake.click(person, msg, "Finish")).response(wait)
                closing = await next_with_buttons(fake, dm, wait)
                await (await fake.click(person, closing, "Save")).response(wait)

        async def drop_midway():
            while answered[0] < N // 3:  # in the thick of it: a third of the first answers are in
                await asyncio.sleep(0.05)
            await fake.drop_connection()

        t0 = time.monotonic()
        await asyncio.wait_for(asyncio.gather(drop_midway(), *(one(i, p) for i, p in enumerate(people))), BOUND)
        elapsed = time.monotonic() - t0
        await asyncio.sleep(0.5)
        store = world.store
        for i, person in enumerate(people):
            owner = keyring.pseudonym("user", person.id)
            want = [_tag(i, k) for k in range(2 + (i % 2))]
            entries = await store.list_entries(owner)
            session = await store.open_session_for(owner)
            if i % 3 == 0:
                assert len(entries) == 1, (i, len(entries))
                entry = await store.get_entry(owner, entries[0].id)
                found = " ".join(entry.answers.values())
                assert session is None
            else:
                assert entries == [], (i, len(entries))
                found = " ".join(State.from_dict(session.state).answers.values())
            for tag in want:
                assert found.count(tag) == 1, (i, tag, found[:200])
        assert all(f.hits == f.times for f in faults), "an injected fault was never hit"
        assert fake.gateway.resumes, "the dropped gateway connection was not resumed"
        assert fake.take_errors() == []
    assert_no_pings(fake)
    print(f"\nload: {N} supervisees in {elapsed:.1f}s")
    assert elapsed < BOUND
