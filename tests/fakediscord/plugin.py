"""pytest plugin: `fake_discord` fixture (started on a free 127.0.0.1 port, URLs patched, torn down).

Enable with `pytest_plugins = ["tests.fakediscord.plugin"]`. Teardown fails the test if the fake
recorded errors (unknown routes, handler crashes, protocol misuse); tests that provoke errors on
purpose call `fake_discord.take_errors()`.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import AsyncIterator, Iterator

import discord.gateway
import discord.http
import pytest
import pytest_asyncio
import yarl

from .api import FakeDiscord


@contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Point discord.py's two base URLs at the fake; restore them afterwards.

    discord.py 2.7 does not call GET /gateway/bot: `Client.connect` uses
    `DiscordWebSocket.DEFAULT_GATEWAY` (a yarl.URL) for the first connect and READY's
    `resume_gateway_url` afterwards. REST builds `Route.BASE + path` when a Route is created.
    """
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A running fake Discord; build the world with its factories, then `async with fake.running(bot)`."""
    fake = FakeDiscord()
    await fake.start()
    try:
        with pointed_at(fake):
            yield fake
    finally:
        await fake.stop()
    if fake.errors:
        pytest.fail("fake Discord recorded errors:\n" + "\n".join(fake.errors), pytrace=False)
