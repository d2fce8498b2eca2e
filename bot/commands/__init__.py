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
                    help="database file, with the key file beside it (default: config.yaml's database, "
                    "else data/bot.sqlite3)")


def store_location(db: Path | None) -> dict[str, Path | None]:
    """Where a command's store is: --db if given (its folder holds the key file, as before), else
    config.yaml's database, data_dir and secret_key_file: the same files the Discord bot uses.
    A broken config raises ConfigError (the caller reports it)."""
    if db is not None:
        return {"db_path": db, "data_dir": None, "key_file": None}
    from bot.config import load_config

    cfg = load_config()
    return {"db_path": cfg.database_path, "data_dir": cfg.data_dir, "key_file": cfg.key_file}
