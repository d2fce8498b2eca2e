"""`python -m bot keys check|rotate|confirm`: verify and rotate the secret key. Never prints a key."""
from __future__ import annotations

import argparse
import asyncio
import sys

from bot.commands import add_actions, add_db_option, store_location
from bot.core.keys import KeyProblem
from bot.core.render import render


def register(sub: argparse._SubParsersAction) -> None:
    ksub = add_actions(sub, "keys", help="check the secret key against the database, or rotate it",
                       description="The secret key (env BOT_SECRET_KEY or data/secret.key) makes pseudonyms and "
                       "wraps every person's data key. These commands never print it.")

    check = ksub.add_parser("check", help="verify that the key matches the database and opens every data key",
                            description="Exit 0 when the key matches the database's key check value and every "
                            "wrapped data key opens; exit 2 with a clear message otherwise.")
    add_db_option(check)
    check.set_defaults(func=run_check)

    rotate = ksub.add_parser("rotate", help="re-wrap everything under a new master key",
                             description="Generate a new key (or take it from env BOT_NEW_SECRET_KEY) and re-wrap "
                             "every data key in one transaction; the key file is replaced only afterwards and the "
                             "old one is kept (0600) until `keys confirm`. Stop the bot first.")
    add_db_option(rotate)
    rotate.set_defaults(func=run_rotate)

    confirm = ksub.add_parser("confirm", help="after a rotation: check, then destroy the old key backups",
                              description="If the current key opens everything, overwrite and delete the "
                              "secret.key.old-* backups, so database copies from before the rotation become unreadable.")
    add_db_option(confirm)
    confirm.set_defaults(func=run_confirm)


def _guard(coro_fn) -> int:
    from bot.config import ConfigError

    try:
        return coro_fn()
    except ConfigError as exc:
        print(render("cli/config_errors.j2", problems=exc.problems), file=sys.stderr)
        return 2
    except KeyProblem as exc:
        print(render("cli/keys_error.j2", message=str(exc)), file=sys.stderr)
        return 2


def run_check(args: argparse.Namespace) -> int:
    from bot.store.rotate import check

    def go() -> int:
        result = asyncio.run(check(**store_location(args.db)))
        print(render("cli/keys_check.j2", r=result))
        return 0 if not result.keys_bad and result.integrity == "ok" else 1
    return _guard(go)


def run_rotate(args: argparse.Namespace) -> int:
    from bot.store.rotate import rotate

    def go() -> int:
        print(render("cli/keys_rotate.j2", r=asyncio.run(rotate(**store_location(args.db)))))
        return 0
    return _guard(go)


def run_confirm(args: argparse.Namespace) -> int:
    from bot.store.rotate import confirm

    def go() -> int:
        print(render("cli/keys_confirm.j2", removed=asyncio.run(confirm(**store_location(args.db)))))
        return 0
    return _guard(go)
