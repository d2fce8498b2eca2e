"""`python -m bot config check`: validate a config file without starting anything."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.commands import add_actions
from bot.config import ConfigError, load_config
from bot.core.render import render


def register(sub: argparse._SubParsersAction) -> None:
    csub = add_actions(sub, "config", help="check a config file", description="Validate config.yaml (or --config PATH).")
    check = csub.add_parser("check", help="validate the config and print a summary", description="Validate the config; exit 1 with one message per problem.")
    check.add_argument("--config", type=Path, help="the config file (default: $BOT_CONFIG or ./config.yaml)")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(render("cli/config_errors.j2", problems=exc.problems), file=sys.stderr)
        return 1
    print(render("cli/config_ok.j2", cfg=cfg))
    return 0
