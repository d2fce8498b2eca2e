"""`python -m bot sync` / `run` paths in-process against the fake (real store, all cogs), and the
friendly error path: a failure gives an ephemeral apology; the log has no text and no raw id."""
from __future__ import annotations

import asyncio
import logging

from bot.core import journal as core_journal
from bot.discord_app.runner import run_bot
from tests.discord_support import wait_until, world  # noqa: F401


async def test_sync_registers_every_command_then_exits(world, capsys):
    code = await run_bot(world.config(), "fake-token", sync_only=True)
    assert code == 0
    names = {c.name for pool in world.fake.commands.values() for c in pool}
    assert {"reflect", "journal", "learn", "term", "sources", "setup", "Save to my reflection journal"} <= names
    assert "6" in capsys.readouterr().out or names


async def test_run_starts_end_to_end_over_the_real_store(world):
    fake = world.fake
    await run_bot(world.config(), "fake-token", sync_only=True)
    task = asyncio.create_task(run_bot(world.config(), "fake-token"))
    try:
        await wait_until(lambda: fake.gateway.sessions, what="the bot to connect")
        await asyncio.sleep(0.3)
        intents = fake.gateway.identifies[-1]["intents"]
        assert not intents & (1 << 15)  # no message_content unless the config enables it
        inter = await fake.slash(world.alice, "sources", guild=world.guild)
        assert (await inter.response(timeout=5)).ephemeral
    finally:
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass
        logging.getLogger().handlers.clear()


async def test_errors_are_friendly_and_logged_without_text_or_ids(world, monkeypatch, caplog):
    async def broken(*a, **k):
        raise RuntimeError("secret words of the client 123456789012345678")

    monkeypatch.setattr(core_journal, "list_entries", broken)
    caplog.set_level(logging.ERROR, logger="bot.discord_app")
    async with world.bot(cogs=("bot.discord_app.cogs.journal",)):
        inter = await world.fake.slash(world.alice, "journal list", guild=world.guild)
        msg = await inter.original()
        assert msg.ephemeral and "went wrong" in msg.content and "secret" not in msg.content
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and "secret words" not in logged and str(world.alice.id) not in logged
