"""Support for the supervisor tests: a controllable datetime clock and a ReflectBot on a real
SQLite file in tmp_path with the supervisor cogs (plus whichever front cogs exist)."""
from __future__ import annotations

import dataclasses
import importlib.util
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any, AsyncIterator

import pytest_asyncio

from bot.config import Config, DiscordSettings, GuildSettings
from bot.services import build_services
from bot.store import open_store
from tests.discord_support import assert_no_pings, CRISIS, World, make_world

SUPERVISOR_COGS = (
    "bot.discord_app.cogs.prompts",
    "bot.discord_app.cogs.schedules",
    "bot.discord_app.cogs.digest",
    "bot.discord_app.cogs.share",
)


def available_cogs() -> tuple[str, ...]:
    """Every cog of the bot that exists in this checkout (the client's COGS list)."""
    from bot.discord_app.client import COGS

    return tuple(m for m in COGS if importlib.util.find_spec(m))


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@dataclasses.dataclass
class SupWorld(World):
    clock: Clock = dataclasses.field(default_factory=lambda: Clock(datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)))
    supervisor: Any = None
    sup_role: Any = None
    supervisors_channel: Any = None
    group: Any = None
    loop: bool = False  # the every-minute runner task; tests call run_due(now) instead

    def config(self) -> Config:
        return Config(
            data_dir=self.tmp, log_level="WARNING",
            discord=DiscordSettings(message_content=False),
            defaults=GuildSettings(crisis_resources=CRISIS),
            guilds=(GuildSettings(id=self.guild.id, reflection_channel=self.reflection.id,
                                  supervisor_role=self.sup_role.id,
                                  supervisors_channel=self.supervisors_channel.id,
                                  timezone="America/New_York", crisis_resources=CRISIS),),
        )

    @asynccontextmanager
    async def bot(self, *, sync: bool = True, cogs: tuple[str, ...] | None = None) -> AsyncIterator[Any]:
        from bot.discord_app.client import ReflectBot

        cfg = self.config()
        async with open_store(cfg.database_path, cfg.data_dir, key_file=cfg.key_file, clock=self.clock) as store:
            self.store = store
            svc = build_services(cfg, store, clock=self.clock)
            svc.extra["supervision_loop"] = self.loop
            bot = ReflectBot(svc, cogs or available_cogs())
            async with self.fake.running(bot) as running:
                if sync:
                    await running.tree.sync()
                yield running

    def assert_no_raw_ids(self) -> None:
        super().assert_no_raw_ids()
        blob = self.db_bytes()
        for i in (self.supervisor.id, self.sup_role.id, self.supervisors_channel.id, self.group.id):
            assert str(i).encode() not in blob, f"raw id {i} found in the database"


@pytest_asyncio.fixture
async def sworld(fake_discord, tmp_path, monkeypatch) -> AsyncIterator[SupWorld]:
    fake = fake_discord
    w = make_world(fake, tmp_path, monkeypatch, SupWorld, lambda guild: dict(
        sup_role=fake.create_role(guild, "Supervisors"),
        supervisors_channel=fake.create_channel(guild, "supervisors"),
        group=fake.create_channel(guild, "group")))
    w.supervisor = fake.create_member(w.guild, "sam", roles=[w.sup_role])
    yield w
    w.assert_no_raw_ids()
    assert_no_pings(fake)  # every message the bot sent, supervisor side included, pings no one


__all__ = ["sworld", "SupWorld", "Clock", "SUPERVISOR_COGS", "available_cogs"]
