"""`python -m bot run`: start the Discord bot; `python -m bot sync`: register its slash commands."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bot.config import ConfigError, load_config
from bot.core.render import render


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)",
                         description="Start the Discord bot. The token comes from DISCORD_TOKEN; "
                         "slash commands are registered separately with `python -m bot sync`.")
    run.add_argument("--config", type=Path, help="the config file (default: $BOT_CONFIG or ./config.yaml)")
    run.set_defaults(func=lambda a: _start(a, sync_only=False))
    sync = sub.add_parser("sync", help="register the slash commands with Discord, then exit",
                          description="Register (sync) the bot's slash commands, globally or for one server.")
    sync.add_argument("--config", type=Path, help="the config file (default: $BOT_CONFIG or ./config.yaml)")
    sync.add_argument("--guild", type=int, help="sync to this server only (instant; global sync can take up to an hour)")
    sync.set_defaults(func=lambda a: _start(a, sync_only=True))


def _start(args: argparse.Namespace, sync_only: bool) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(render("cli/config_errors.j2", problems=exc.problems), file=sys.stderr)
        return 2
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print(render("cli/no_token.j2"), file=sys.stderr)
        return 2
    from bot.discord_app.runner import run_bot  # imported late: discord.py is slow to import

    return asyncio.run(run_bot(config, token, sync_only=sync_only, sync_guild=getattr(args, "guild", None)))
