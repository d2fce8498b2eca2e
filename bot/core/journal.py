"""A person's own journal: list, show, edit, export, delete, retention (core, over the Store).

Everything is scoped by the owner pseudonym: an entry of someone else reads as not found.
Texts given to `edit` must already be scrubbed and confirmed by the person (the adapters call
bot.core.privacy.scrub and show the preview first); this module never sees raw identifiers.
Exports hold everything the person has, earlier versions included.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.core.ports import Entry, Store
from bot.core.render import render

FORMATS = ("md", "json")


async def list_entries(store: Store, owner: str, since: datetime | None = None, until: datetime | None = None,
                       case: str | None = None) -> list[Entry]:
    """Newest first, optionally within [since, until] and for one case pseudonym."""
    return await store.list_entries(owner, since=since, until=until, case=case)


async def show(store: Store, owner: str, entry_id: str) -> Entry | None:
    return await store.get_entry(owner, entry_id)


async def edit(store: Store, owner: str, entry_id: str, scrubbed_text: str) -> bool:
    """Replace an entry's text with text the person already saw scrubbed and confirmed; the
    earlier version is kept (encrypted) in the entry's history."""
    if not scrubbed_text.strip():
        raise ValueError("an entry cannot be edited to empty text; delete it instead")
    return await store.edit_entry(owner, entry_id, scrubbed_text)


async def delete_one(store: Store, owner: str, entry_id: str) -> bool:
    return await store.delete_entry(owner, entry_id)


async def delete_all(store: Store, owner: str, vacuum: bool = False) -> int:
    """Erase everything of this person and destroy their data key; optionally VACUUM the file."""
    n = await store.delete_all(owner)
    if vacuum and hasattr(store, "vacuum"):
        await store.vacuum()
    return n


async def purge_older_than(store: Store, owner: str | None, days: int, now: datetime) -> int:
    """Retention: delete entries created more than `days` days before `now` (one person, or
    everyone when owner is None and the store supports it). Returns the number removed."""
    if days < 0:
        raise ValueError("days must be >= 0")
    if hasattr(store, "purge_older_than"):
        return await store.purge_older_than(days, now, owner=owner)
    if owner is None:
        raise ValueError("this store can only purge one owner at a time")
    cutoff = now - timedelta(days=days)
    old = [e for e in await store.list_entries(owner) if e.created_at < cutoff]
    for e in old:
        await store.delete_entry(owner, e.id)
    return len(old)


def entry_record(entry: Entry) -> dict[str, Any]:
    """A plain JSON-ready dict of an entry (ISO UTC times)."""
    return {
        "id": entry.id,
        "created_at": _iso(entry.created_at),
        "updated_at": _iso(entry.updated_at),
        "case": entry.case,
        "prompt": entry.prompt,
        "topics": list(entry.topics),
        "skipped": list(entry.skipped),
        "text": entry.text,
        "answers": dict(entry.answers),
        "history": [dict(h) for h in entry.history],
        "unreadable": entry.unreadable,
    }


def to_json(entries: list[Entry], exported_at: datetime) -> str:
    doc = {"format": "reflective-journal/1", "exported_at": _iso(exported_at), "count": len(entries),
           "entries": [entry_record(e) for e in entries]}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def to_markdown(entries: list[Entry], exported_at: datetime) -> str:
    return render("journal/export_md.j2", entries=[entry_record(e) for e in entries],
                  exported_at=_iso(exported_at)) + "\n"


async def export(store: Store, owner: str, fmt: str, now: datetime) -> str:
    """Everything the person has, newest first, as Markdown ("md") or JSON ("json")."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    entries = await store.list_entries(owner)
    return to_json(entries, now) if fmt == "json" else to_markdown(entries, now)


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat()
