"""The store interface the core and the adapters talk to.

The core never touches SQLite: it sees these records and this Protocol. `bot/store/` implements
it on aiosqlite (and tests may use `MemoryStore` from bot/store/memory.py). Every method is
scoped by `owner`, a keyed pseudonym, so no caller can reach another person's rows by guessing
an id: a wrong owner reads as "not found".

Texts given to the store are plain Python strings; encryption at rest happens inside the
store (per-person data keys), so no caller handles ciphertext.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass
class StoredSession:
    """A reflection in progress. `state` is the flow's own serialisable dict (answers inside
    it are encrypted at rest by the store)."""

    id: str
    owner: str  # pseudonym of the supervisee
    status: str  # "active" | "paused" | "finished" | "saved" | "discarded"
    state: dict[str, Any]
    place: str | None = None  # pseudonym of where it runs (thread / DM channel), or None in the terminal
    created_at: datetime | None = None
    updated_at: datetime | None = None
    unreadable: bool = False  # state failed to decrypt (tampered, or the person's key destroyed); state is {}


@dataclass
class NewEntry:
    """What the supervisee confirmed after the preview: scrubbed text only, never raw."""

    text: str  # scrubbed, as shown in the preview (Markdown)
    answers: dict[str, str] = field(default_factory=dict)  # question id -> scrubbed answer
    topics: list[str] = field(default_factory=list)
    case: str | None = None  # the supervisee's own case pseudonym (e.g. "A.B."), scrubbed
    skipped: list[str] = field(default_factory=list)  # question ids skipped
    prompt: str | None = None  # built-in or supervisor prompt that seeded it


@dataclass
class Entry:
    id: str  # opaque, unguessable
    owner: str
    created_at: datetime
    updated_at: datetime
    text: str
    answers: dict[str, str]
    topics: list[str]
    case: str | None
    skipped: list[str]
    prompt: str | None
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions: {"text", "edited_at"}
    unreadable: bool = False  # ciphertext failed to decrypt (tampered, or key destroyed)


class Store(Protocol):
    async def put_session(self, session: StoredSession) -> None:
        """Insert or update; durable when it returns (one round trip on the hot path)."""

    async def get_session(self, owner: str, session_id: str) -> StoredSession | None: ...

    async def open_session_for(self, owner: str) -> StoredSession | None:
        """The newest active or paused session of this person, to resume."""

    async def session_at(self, place: str) -> StoredSession | None:
        """The active/paused session running at a place (thread or DM pseudonym)."""

    async def save_entry(self, owner: str, session_id: str | None, entry: NewEntry,
                         session: StoredSession | None = None) -> str:
        """Store a confirmed entry and mark the session saved, atomically; returns the entry id.
        With `session` (the same session's final state) that state is stored instead of just
        marking it saved, in the same transaction (the save turn is one round trip)."""

    async def list_entries(self, owner: str, since: datetime | None = None, until: datetime | None = None,
                           case: str | None = None) -> list[Entry]:
        """Newest first."""

    async def get_entry(self, owner: str, entry_id: str) -> Entry | None: ...

    async def edit_entry(self, owner: str, entry_id: str, text: str) -> bool:
        """Replace the text (already scrubbed and confirmed), keeping the old version in history."""

    async def delete_entry(self, owner: str, entry_id: str) -> bool: ...

    async def delete_all(self, owner: str) -> int:
        """Remove every row of this person and destroy their data key."""
