"""Two events for the same reflection at once (a double-clicked button, two quick answers):
they run one after another, so nothing is saved twice and no answer is lost."""
from __future__ import annotations

import asyncio

from bot.core.flow import Event
from bot.core.reflection import ReflectionService
from bot.store import open_store


async def _at_closing(svc, owner):
    t = await svc.start(owner, case="A.B.")
    t = await svc.handle(owner, t.session_id, Event("consent", "A.B."))
    t = await svc.handle(owner, t.session_id, Event("answer", "She swings from rigid routines to chaos."))
    return await svc.handle(owner, t.session_id, Event("finish"))


async def test_a_double_clicked_save_saves_once(tmp_path):
    async with open_store(data_dir=tmp_path, env={}) as store:
        svc = ReflectionService(store)
        owner = store.keyring.pseudonym("user", 1)
        t = await _at_closing(svc, owner)
        turns = await asyncio.gather(*(svc.handle(owner, t.session_id, Event("save")) for _ in range(3)))
        assert [t.status for t in turns] == ["saved"] * 3
        assert len(await store.list_entries(owner)) == 1
        assert svc._turns == {}  # nothing kept once the turns are done


async def test_two_quick_answers_are_both_kept(tmp_path):
    async with open_store(data_dir=tmp_path, env={}) as store:
        svc = ReflectionService(store)
        owner = store.keyring.pseudonym("user", 2)
        t = await svc.start(owner, case="C.D.")
        t = await svc.handle(owner, t.session_id, Event("consent", "C.D."))
        await asyncio.gather(svc.handle(owner, t.session_id, Event("answer", "First thought, about attunement.")),
                             svc.handle(owner, t.session_id, Event("answer", "Second thought, about culture.")))
        state = (await store.get_session(owner, t.session_id)).state
        assert sorted(state["answers"].values()) == ["First thought, about attunement.", "Second thought, about culture."]
        assert state["index"] == 2


async def test_different_reflections_do_not_wait_for_each_other(tmp_path):
    async with open_store(data_dir=tmp_path, env={}) as store:
        svc = ReflectionService(store)
        owners = [store.keyring.pseudonym("user", i) for i in range(20)]
        closings = await asyncio.gather(*(_at_closing(svc, o) for o in owners))
        await asyncio.gather(*(svc.handle(o, t.session_id, Event("save")) for o, t in zip(owners, closings)))
        for o in owners:
            assert len(await store.list_entries(o)) == 1
