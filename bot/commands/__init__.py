"""One module per `python -m bot` subcommand; each exposes `register(subparsers)`."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_actions(sub: argparse._SubParsersAction, name: str, **texts) -> argparse._SubParsersAction:
    """`python -m bot NAME ACTION`: adds NAME (help=, description=) and returns its actions, one of
    which must be given (parsed into `NAME_command`)."""
    p = sub.add_parser(name, **texts)
    actions = p.add_subparsers(dest=f"{name}_command", metavar="ACTION")
    actions.required = True
    return actions


def add_db_option(sp: argparse.ArgumentParser) -> None:
    """--db, for the actions that open the database (and the key file beside it)."""
    sp.add_argument("--db", type=Path, default=None,
                    help="database file (default: data/bot.sqlite3; the key file is looked up beside it)")
