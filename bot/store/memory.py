"""An in-memory Store (bot.core.ports.Store) for tests and throwaway runs. Nothing is encrypted
and nothing survives the process; the SQLite store (bot.store.open_store) is the real one."""
from __future__ import annotations

import copy
import secrets
from datetime import datetime, timezone

from bot.core.ports import Entry, NewEntry, StoredSession

OPEN = ("active", "paused")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class MemoryStore:
    def __init__(self) -> None:
        self.sessions: dict[str, StoredSession] = {}
        self.entries: dict[str, Entry] = {}
        self.puts = 0

    async def put_session(self, session: StoredSession) -> None:
        now = _now()
        stored = copy.deepcopy(session)
        old = self.sessions.get(session.id)
        if old is not None and old.owner != session.owner:
            raise PermissionError("session belongs to someone else")
        stored.created_at = (old.created_at if old else None) or session.created_at or now
        stored.updated_at = session.updated_at or now
        self.sessions[session.id] = stored
        self.puts += 1

    async def get_session(self, owner: str, session_id: str) -> StoredSession | None:
        s = self.sessions.get(session_id)
        return copy.deepcopy(s) if s is not None and s.owner == owner else None

    async def open_session_for(self, owner: str) -> StoredSession | None:
        mine = [s for s in self.sessions.values() if s.owner == owner and s.status in OPEN]
        mine.sort(key=lambda s: s.updated_at or s.created_at or _now())
        return copy.deepcopy(mine[-1]) if mine else None

    async def session_at(self, place: str) -> StoredSession | None:
        here = [s for s in self.sessions.values() if s.place == place and s.status in OPEN]
        here.sort(key=lambda s: s.updated_at or s.created_at or _now())
        return copy.deepcopy(here[-1]) if here else None

    async def save_entry(self, owner: str, session_id: str | None, entry: NewEntry,
                         session: StoredSession | None = None) -> str:
        if session is not None and (session.id != session_id or session.owner != owner):
            raise ValueError("session does not match session_id/owner")
        old = self.sessions.get(session_id) if session_id else None
        if session is not None and old is not None and old.owner != owner:
            raise PermissionError("session belongs to someone else")
        entry_id = secrets.token_urlsafe(12)
        now = _now()
        self.entries[entry_id] = Entry(entry_id, owner, now, now, entry.text, dict(entry.answers), list(entry.topics),
                                       entry.case, list(entry.skipped), entry.prompt)
        if session is not None:
            await self.put_session(session)
        elif session_id and session_id in self.sessions and self.sessions[session_id].owner == owner:
            self.sessions[session_id].status = "saved"
        return entry_id

    async def list_entries(self, owner: str, since: datetime | None = None, until: datetime | None = None,
                           case: str | None = None) -> list[Entry]:
        out = [copy.deepcopy(e) for e in self.entries.values() if e.owner == owner
               and (since is None or e.created_at >= since) and (until is None or e.created_at <= until)
               and (case is None or e.case == case)]
        return sorted(out, key=lambda e: e.created_at, reverse=True)

    async def get_entry(self, owner: str, entry_id: str) -> Entry | None:
        e = self.entries.get(entry_id)
        return copy.deepcopy(e) if e is not None and e.owner == owner else None

    async def edit_entry(self, owner: str, entry_id: str, text: str) -> bool:
        e = self.entries.get(entry_id)
        if e is None or e.owner != owner:
            return False
        e.history.append({"text": e.text, "edited_at": e.updated_at})
        e.text, e.updated_at = text, _now()
        return True

    async def delete_entry(self, owner: str, entry_id: str) -> bool:
        e = self.entries.get(entry_id)
        if e is None or e.owner != owner:
            return False
        del self.entries[entry_id]
        return True

    async def delete_all(self, owner: str) -> int:
        ids = [k for k, e in self.entries.items() if e.owner == owner]
        for k in ids:
            del self.entries[k]
        for k in [k for k, s in self.sessions.items() if s.owner == owner]:
            del self.sessions[k]
        return len(ids)
