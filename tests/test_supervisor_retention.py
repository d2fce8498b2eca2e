"""Retention: the default retention_days applies to every entry; a server's own retention_days to
the reflections written there (the shorter one wins). Run by the supervision runner, hourly."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from bot.core.ports import NewEntry
from tests.supervisor_support import sworld  # noqa: F401
from tests.test_supervisor_digest import _save

UTC = timezone.utc
COGS = ("bot.discord_app.cogs.schedules",)


def _with_retention(sworld, default_days: int, guild_days: int) -> None:
    base = type(sworld).config(sworld)
    guilds = tuple(dataclasses.replace(g, retention_days=guild_days) for g in base.guilds)
    cfg = dataclasses.replace(base, defaults=dataclasses.replace(base.defaults, retention_days=default_days), guilds=guilds)
    sworld.config = lambda: cfg


async def test_a_servers_retention_removes_its_old_reflections_only(sworld):
    _with_retention(sworld, default_days=0, guild_days=30)
    sworld.clock.set(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    async with sworld.bot(cogs=COGS) as bot:
        store = bot.services.store
        alice = bot.services.keyring.pseudonym("user", sworld.alice.id)
        old_in_server = await _save(bot, sworld.guild, sworld.alice, 1)
        old_in_dm = await store.save_entry(alice, None, NewEntry(text="Written in a DM, no server."))
        sworld.clock.set(datetime(2026, 2, 20, 12, 0, tzinfo=UTC))
        recent = await _save(bot, sworld.guild, sworld.alice, 2)
        runner = bot.get_cog("SchedulesCog")
        report = await runner.run_due(sworld.clock())
        assert report.purged == 1
        ids = {e.id for e in await store.list_entries(alice)}
        assert ids == {old_in_dm, recent}  # the server's 30 days took the old one, nothing else
        assert old_in_server not in ids
        assert (await runner.run_due(sworld.clock())).purged == 0  # at most hourly, and nothing left


async def test_the_default_retention_applies_everywhere(sworld):
    _with_retention(sworld, default_days=10, guild_days=0)
    sworld.clock.set(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    async with sworld.bot(cogs=COGS) as bot:
        store = bot.services.store
        alice = bot.services.keyring.pseudonym("user", sworld.alice.id)
        await _save(bot, sworld.guild, sworld.alice, 1)
        await store.save_entry(alice, None, NewEntry(text="Written in a DM, no server."))
        sworld.clock.set(datetime(2026, 1, 20, 12, 0, tzinfo=UTC))
        kept = await store.save_entry(alice, None, NewEntry(text="Recent."))
        report = await bot.get_cog("SchedulesCog").run_due(sworld.clock())
        assert report.purged == 2
        assert [e.id for e in await store.list_entries(alice)] == [kept]
