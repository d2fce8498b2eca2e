"""`python -m bot journal list|show|edit|export|delete|purge`: the terminal user's own journal.

The owner is the keyed pseudonym of the local account (keyring.pseudonym("terminal", user)),
so the terminal sees exactly the entries written in terminal mode by the same account.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import shlex
import subprocess
import sys
import tempfile
from datetime import datetime, time, timezone
from pathlib import Path

from bot.commands import add_actions, add_db_option, store_location
from bot.core import journal
from bot.core.keys import DecryptError, KeyProblem
from bot.core.render import render


def register(sub: argparse._SubParsersAction) -> None:
    jsub = add_actions(sub, "journal", help="list, read, edit, export or delete your own journal entries (terminal user)",
                       description="Your own journal, as the terminal user. Entries are stored encrypted and "
                       "de-identified; nothing here is shared with anyone.")

    def filters(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--since", help="only entries written on or after this date (YYYY-MM-DD, UTC)")
        sp.add_argument("--until", help="only entries written on or before this date (YYYY-MM-DD, UTC)")
        sp.add_argument("--case", help="only entries about this case pseudonym (for example A.B.)")

    ls = jsub.add_parser("list", help="your entries, newest first", description="List your entries, newest first.")
    add_db_option(ls)
    filters(ls)
    ls.set_defaults(func=run_list)

    show = jsub.add_parser("show", help="print one entry", description="Print one entry in full.")
    show.add_argument("entry_id", metavar="ID", help="the entry id shown by `journal list`")
    add_db_option(show)
    show.set_defaults(func=run_show)

    edit = jsub.add_parser("edit", help="replace an entry's text (scrubbed, previewed, confirmed)",
                           description="Replace an entry's text. The new text is read from stdin when it is not a "
                           "terminal, else from $EDITOR; it is scrubbed of identifiers and previewed before saving. "
                           "The earlier version is kept in the entry's history.")
    edit.add_argument("entry_id", metavar="ID", help="the entry id shown by `journal list`")
    edit.add_argument("--yes", action="store_true", help="save without asking for confirmation")
    add_db_option(edit)
    edit.set_defaults(func=run_edit)

    export = jsub.add_parser("export", help="everything in your journal as Markdown or JSON",
                             description="Export every entry (with earlier versions) as Markdown or JSON.")
    export.add_argument("--format", choices=journal.FORMATS, default="md", help="md (default) or json")
    export.add_argument("--output", "-o", type=Path, help="write to this file (mode 0600) instead of stdout")
    add_db_option(export)
    filters(export)
    export.set_defaults(func=run_export)

    delete = jsub.add_parser("delete", help="delete one entry, or --all of your data",
                             description="Delete one entry (with its history), or --all: every entry, session and "
                             "your data key, so nothing of yours can be decrypted again.")
    delete.add_argument("entry_id", metavar="ID", nargs="?", help="the entry to delete")
    delete.add_argument("--all", action="store_true", help="delete everything of yours and destroy your data key")
    delete.add_argument("--vacuum", action="store_true", help="with --all: also VACUUM the database file")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_db_option(delete)
    delete.set_defaults(func=run_delete)

    purge = jsub.add_parser("purge", help="retention: delete your entries older than N days",
                            description="Delete your entries (and old sessions) written more than N days ago.")
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS", help="age limit in days")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_db_option(purge)
    purge.set_defaults(func=run_purge)


# ----------------------------------------------------------------------------- helpers

def _say(name: str, file=None, **ctx) -> None:
    print(render(name, **ctx), file=file or sys.stdout)


def _parse_date(value: str | None, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        if len(value) == 10:
            d = datetime.strptime(value, "%Y-%m-%d").date()
            return datetime.combine(d, time.max if end else time.min, tzinfo=timezone.utc)
        dt = datetime.fromisoformat(value)
        return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    except ValueError:
        raise _BadArgs("date", value) from None


class _BadArgs(Exception):
    def __init__(self, problem: str, value: str = ""):
        self.problem, self.value = problem, value


def _confirm(args: argparse.Namespace, stdin_used: bool = False, **ctx) -> bool | None:
    """True/False from --yes or the terminal; None when there is no terminal to ask on."""
    if getattr(args, "yes", False):
        return True
    if stdin_used or not sys.stdin.isatty():
        return None
    try:
        answer = input(render("journal/confirm.j2", **ctx) + " ")
    except EOFError:
        return None
    return answer.strip().lower() in ("y", "yes")


def _confirmed(args: argparse.Namespace, stdin_used: bool = False, **ctx) -> bool:
    """Whether to go ahead (see _confirm); when not, says why: no terminal to ask on, or cancelled."""
    ok = _confirm(args, stdin_used=stdin_used, **ctx)
    if ok is None:
        _say("journal/need_yes.j2", file=sys.stderr)
        return False
    if not ok:
        _say("journal/cancelled.j2")
        return False
    return True


def _not_found(entry_id: str) -> int:
    _say("journal/not_found.j2", file=sys.stderr, entry_id=entry_id)
    return 1


def _edit_error(problem: str, entry_id: str) -> int:
    _say("journal/edit_errors.j2", file=sys.stderr, problem=problem, entry_id=entry_id)
    return 1


def _owner(store) -> str:
    return store.keyring.pseudonym("terminal", getpass.getuser())


def _run(args: argparse.Namespace, body) -> int:
    from bot.store import open_store

    async def main() -> int:
        async with open_store(**store_location(args.db)) as store:
            return await body(store, _owner(store))

    from bot.config import ConfigError

    try:
        return asyncio.run(main())
    except ConfigError as exc:
        _say("cli/config_errors.j2", file=sys.stderr, problems=exc.problems)
        return 2
    except KeyProblem as exc:
        _say("cli/keys_error.j2", file=sys.stderr, message=str(exc))
        return 2
    except _BadArgs as exc:
        _say("journal/bad_args.j2", file=sys.stderr, problem=exc.problem, value=exc.value)
        return 2


async def _filtered_entries(store, owner: str, args: argparse.Namespace) -> list:
    """The owner's entries, narrowed by --since, --until and --case."""
    since, until = _parse_date(args.since, False), _parse_date(args.until, True)
    return await journal.list_entries(store, owner, since=since, until=until, case=args.case)


def _listing(e) -> dict:
    rec = journal.entry_record(e)
    first = " ".join(e.text.split())
    rec["preview"] = first[:77] + "..." if len(first) > 80 else first
    return rec


# ----------------------------------------------------------------------------- actions

def run_list(args: argparse.Namespace) -> int:
    async def body(store, owner):
        entries = await _filtered_entries(store, owner, args)
        _say("journal/list.j2", entries=[_listing(e) for e in entries],
             filtered=bool(args.since or args.until or args.case))
        return 0
    return _run(args, body)


def run_show(args: argparse.Namespace) -> int:
    async def body(store, owner):
        entry = await journal.show(store, owner, args.entry_id)
        if entry is None:
            return _not_found(args.entry_id)
        _say("journal/show.j2", e=journal.entry_record(entry))
        return 0
    return _run(args, body)


def _scrubber():
    try:
        from bot.core.privacy import scrub  # a colleague's module; imported lazily
    except ImportError:
        return None
    return scrub


def _read_new_text(current: str) -> tuple[str | None, bool]:
    """(text, stdin_used). From stdin when it is not a TTY, else from $EDITOR on a 0600 temp file."""
    if not sys.stdin.isatty():
        return sys.stdin.read(), True
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(prefix="journal-edit-", suffix=".md")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(current)
        if subprocess.call([*shlex.split(editor), name]) != 0:
            _say("journal/edit_errors.j2", file=sys.stderr, problem="editor", editor=editor, entry_id="")
            return None, False
        with open(name, encoding="utf-8") as fh:
            return fh.read(), False
    finally:
        try:
            with open(name, "r+b") as fh:  # do not leave the clear text on disk
                fh.write(b"\0" * os.path.getsize(name))
        except OSError:
            pass
        os.unlink(name)


def run_edit(args: argparse.Namespace) -> int:
    async def body(store, owner):
        entry = await journal.show(store, owner, args.entry_id)
        if entry is None:
            return _not_found(args.entry_id)
        if entry.unreadable:
            return _edit_error("unreadable", args.entry_id)
        scrub = _scrubber()
        if scrub is None:
            return _edit_error("no_scrubber", args.entry_id)
        raw, stdin_used = _read_new_text(entry.text)
        if raw is None:
            return 1
        result = scrub(raw.strip("\n"))
        text = result.text
        if not text.strip():
            return _edit_error("empty", args.entry_id)
        if text == entry.text:
            _say("journal/edit_errors.j2", problem="unchanged", entry_id=args.entry_id)
            return 0
        _say("journal/edit_preview.j2", text=text, redactions=len(getattr(result, "redactions", []) or []))
        if not _confirmed(args, stdin_used=stdin_used, action="edit", entry_id=args.entry_id):
            return 1
        try:
            done = await journal.edit(store, owner, args.entry_id, text)
        except DecryptError:
            return _edit_error("unreadable", args.entry_id)
        if not done:
            return _not_found(args.entry_id)
        _say("journal/done.j2", action="edit", entry_id=args.entry_id)
        return 0
    return _run(args, body)


def run_export(args: argparse.Namespace) -> int:
    async def body(store, owner):
        entries = await _filtered_entries(store, owner, args)
        now = store.clock()
        out = journal.to_json(entries, now) if args.format == "json" else journal.to_markdown(entries, now)
        if args.output is None:
            sys.stdout.write(out if out.endswith("\n") else out + "\n")
            return 0
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(out)
        _say("journal/done.j2", action="export", count=len(entries), path=args.output)
        return 0
    return _run(args, body)


def run_delete(args: argparse.Namespace) -> int:
    if bool(args.entry_id) == bool(args.all):
        _say("journal/bad_args.j2", file=sys.stderr, problem="delete_target", value="")
        return 2

    async def body(store, owner):
        if args.all:
            count = len(await store.list_entries(owner))
            ok = _confirmed(args, action="delete_all", count=count)
        else:
            if await store.get_entry(owner, args.entry_id) is None:
                return _not_found(args.entry_id)
            ok = _confirmed(args, action="delete", entry_id=args.entry_id)
        if not ok:
            return 1
        if args.all:
            n = await journal.delete_all(store, owner, vacuum=args.vacuum)
            _say("journal/done.j2", action="delete_all", count=n, vacuumed=args.vacuum)
            return 0
        if not await journal.delete_one(store, owner, args.entry_id):
            return _not_found(args.entry_id)
        _say("journal/done.j2", action="delete", entry_id=args.entry_id)
        return 0
    return _run(args, body)


def run_purge(args: argparse.Namespace) -> int:
    async def body(store, owner):
        now = store.clock()
        cutoff_count = len([e for e in await store.list_entries(owner)
                            if (now - e.created_at).total_seconds() > args.older_than * 86400])
        if not _confirmed(args, action="purge", count=cutoff_count, days=args.older_than):
            return 1
        n = await journal.purge_older_than(store, owner, args.older_than, now)
        _say("journal/done.j2", action="purge", count=n, days=args.older_than)
        return 0
    return _run(args, body)
