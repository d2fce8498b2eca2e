"""`python -m bot chat`: a guided reflection in the terminal."""
from __future__ import annotations

import argparse
import asyncio

from bot.commands import add_db_option, store_location


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "chat", help="reflect on a case in the terminal (the six supervision questions)",
        description="A guided reflection in the terminal, saved (anonymised, on your say-so) to the same journal "
        "as Discord. On a terminal it is interactive. With stdin not a terminal it reads one answer per line; "
        "commands: /skip /back /pause /finish /save /discard /help /continue. End of input pauses the reflection; "
        "run chat again to resume it.")
    add_db_option(p)
    p.add_argument("--case", metavar="ID", help="case pseudonym, e.g. initials (never a name)")
    p.add_argument("--yes", action="store_true", help="consent given: start at question 1 (for scripted use with --case)")
    p.add_argument("--new", action="store_true", help="start a new reflection even if one is paused")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sqlite3
    import sys

    from bot.config import ConfigError
    from bot.core.keys import KeyProblem
    from bot.core.render import render
    from bot.terminal import run_terminal

    try:
        return asyncio.run(run_terminal(case=args.case, yes=args.yes, new=args.new, **store_location(args.db)))
    except ConfigError as exc:
        print(render("cli/config_errors.j2", problems=exc.problems), file=sys.stderr)
        return 2
    except KeyProblem as exc:  # wrong/missing/malformed key: refuse to start, write nothing
        print(render("cli/keys_error.j2", message=str(exc)), file=sys.stderr)
        return 2
    except sqlite3.OperationalError as exc:  # locked after the busy timeout's retries, or disk full
        print(render("cli/db_unavailable.j2", full="full" in str(exc).lower()), file=sys.stderr)
        return 1
