"""End-to-end support for the Discord front: a world (guild, people, reflection channel), the real
ReflectBot over a real SQLite file in tmp_path, and the raw-id scan of the database files.

    async def test_x(world):
        async with world.bot() as bot:
            inter = await world.fake.slash(world.alice, "journal list", guild=world.guild)
"""
from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest_asyncio

from bot.config import Config, DiscordSettings, GuildSettings
from bot.core.keys import encode_secret, generate_secret
from bot.services import build_services
from bot.store import open_store
from tests.fakediscord import permissions as P

CRISIS = ("Samaritans: call 116 123", "Programme duty line: ext 4040")


@dataclasses.dataclass
class World:
    fake: Any
    tmp: Path
    guild: Any
    reflection: Any  # the reflection channel
    alice: Any
    bob: Any
    admin: Any
    message_content: bool = False
    after_save: str = "delete"
    default_place: str = "thread"
    store: Any = None
    current: Any = None

    def config(self) -> Config:
        return Config(
            data_dir=self.tmp, log_level="WARNING",
            discord=DiscordSettings(message_content=self.message_content, after_save=self.after_save,
                                    default_place=self.default_place),
            defaults=GuildSettings(crisis_resources=CRISIS),
            guilds=(GuildSettings(id=self.guild.id, reflection_channel=self.reflection.id, crisis_resources=CRISIS),),
        )

    @asynccontextmanager
    async def bot(self, *, sync: bool = True, cogs: tuple[str, ...] | None = None) -> AsyncIterator[Any]:
        """A fresh ReflectBot on the same database file (so a second call is a restart)."""
        from bot.discord_app.client import COGS, ReflectBot

        cfg = self.config()
        async with open_store(cfg.database_path, cfg.data_dir, key_file=cfg.key_file) as store:
            self.store = store
            bot = ReflectBot(build_services(cfg, store), cogs or COGS)
            async with self.fake.running(bot) as running:
                self.current = running
                if sync:
                    await running.tree.sync()
                yield running
            self.current = None

    def db_bytes(self) -> bytes:
        data = b""
        for p in self.tmp.glob("bot.sqlite3*"):
            data += p.read_bytes()
        return data

    def assert_no_raw_ids(self) -> None:
        """No raw Discord id of the people, the server or its channels is in the database files."""
        blob = self.db_bytes()
        assert blob, "no database file"
        ids = [self.alice.id, self.bob.id, self.admin.id, self.guild.id, self.reflection.id]
        ids += [c for c in self.fake.channels]
        for i in ids:
            assert str(i).encode() not in blob, f"raw id {i} found in the database"


def make_world(fake: Any, tmp: Path, monkeypatch: Any, cls: type[World] = World,
               places: Callable[[Any], dict[str, Any]] | None = None) -> World:
    """A fresh secret key, and a `cls` world: the server "Clinic" (owned by admin) with its reflection
    channel, `places(guild)` (cls's further fields, made before the people), then alice and bob."""
    monkeypatch.setenv("BOT_SECRET_KEY", encode_secret(generate_secret()))
    admin = fake.create_user("admin")
    guild = fake.create_guild("Clinic", owner=admin)
    reflection = fake.create_channel(guild, "reflection")
    more = places(guild) if places else {}
    alice = fake.create_member(guild, "alice")
    bob = fake.create_member(guild, "bob")
    return cls(fake, tmp, guild, reflection, alice, bob, admin, **more)


@pytest_asyncio.fixture
async def world(fake_discord, tmp_path, monkeypatch) -> AsyncIterator[World]:
    w = make_world(fake_discord, tmp_path, monkeypatch)
    yield w
    w.assert_no_raw_ids()
    assert_no_pings(fake_discord)


def shown(text: str) -> str:
    """What Discord displays: markdown escapes removed (values are escaped for Discord)."""
    import re

    return re.sub(r"\\(.)", r"\1", text)


async def wait_until(pred, timeout: float = 5.0, what: str = "condition") -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not pred():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def all_bot_payloads(fake: Any) -> list[Any]:
    """Every message the bot posted anywhere (including ephemeral)."""
    return [m for m in fake.messages.values() if m.author.id == fake.bot_user.id]


def assert_no_pings(fake: Any) -> None:
    for m in all_bot_payloads(fake):
        assert m.allowed_mentions in ({"parse": []}, {"parse": [], "replied_user": False}), \
            f"message without allowed_mentions none: {m.allowed_mentions!r}"


__all__ = ["World", "world", "make_world", "wait_until", "shown", "P", "all_bot_payloads", "assert_no_pings", "CRISIS"]
