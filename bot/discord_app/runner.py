"""Start (or only sync) the Discord bot over an open store."""
from __future__ import annotations

import logging
import sys

import discord

from bot.config import Config
from bot.core.render import render
from bot.gc_policy import settle
from bot.logs import setup_logging
from bot.services import build_services

log = logging.getLogger(__name__)


async def run_bot(config: Config, token: str, sync_only: bool = False, sync_guild: int | None = None) -> int:
    from bot.discord_app.client import ReflectBot
    from bot.store import open_store
    from bot.core.keys import KeyProblem as SecretKeyProblem

    setup_logging(config.log_level)
    try:
        async with open_store(config.database_path, config.data_dir, config.synchronous, key_file=config.key_file) as store:
            services = build_services(config, store)
            bot = ReflectBot(services)
            async with bot:
                if sync_only:
                    await bot.login(token)
                    guild = discord.Object(id=sync_guild) if sync_guild else None
                    if guild:
                        bot.tree.copy_global_to(guild=guild)
                    synced = await bot.tree.sync(guild=guild)
                    print(render("cli/synced.j2", count=len(synced), guild=bool(guild)))
                    return 0
                settle()  # start-up objects frozen, young generation collected less often (bot/gc_policy.py)
                await bot.start(token)
    except SecretKeyProblem as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except discord.LoginFailure:
        print(render("cli/bad_token.j2"), file=sys.stderr)
        return 2
    return 0
