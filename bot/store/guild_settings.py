"""A server's own settings (set with /setup), keyed by the guild pseudonym.

Nothing here holds a raw Discord id: `guild`, `reflection_channel` and `supervisor_role` are
keyed pseudonyms (`keyring.pseudonym("guild"|"channel"|"role", id)`). The adapter resolves a
channel/role pseudonym back to the live object by computing the pseudonym of each of the
guild's channels/roles and comparing (`resolve`), so the database never needs the id itself.
None in a field means "use config.yaml's value".
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable, TypeVar

from bot.store.sqlite import SQLiteStore, ts

T = TypeVar("T")

_FIELDS = ("reflection_channel", "supervisor_role", "timezone", "crisis_resources", "supervisors_channel")
_UNSET: Any = object()


@dataclass(frozen=True)
class StoredGuildSettings:
    guild: str
    reflection_channel: str | None = None  # channel pseudonym
    supervisor_role: str | None = None  # role pseudonym
    timezone: str | None = None
    crisis_resources: tuple[str, ...] | None = None
    supervisors_channel: str | None = None  # channel pseudonym


async def get_guild_settings(store: SQLiteStore, guild: str) -> StoredGuildSettings | None:
    rows = await store._fetch(
        "SELECT guild, reflection_channel, supervisor_role, timezone, crisis_resources, supervisors_channel "
        "FROM guild_settings WHERE guild = ?", (guild,))
    if not rows:
        return None
    g, channel, role, tz, crisis, supervisors = rows[0]
    return StoredGuildSettings(g, channel, role, tz, tuple(json.loads(crisis)) if crisis is not None else None,
                               supervisors)


async def set_guild_settings(store: SQLiteStore, guild: str, *, reflection_channel: Any = _UNSET,
                             supervisor_role: Any = _UNSET, timezone: Any = _UNSET,
                             crisis_resources: Any = _UNSET, supervisors_channel: Any = _UNSET) -> StoredGuildSettings:
    """Upsert only the fields given (None clears a field back to the config default)."""
    given = {"reflection_channel": reflection_channel, "supervisor_role": supervisor_role,
             "timezone": timezone, "crisis_resources": crisis_resources,
             "supervisors_channel": supervisors_channel}
    given = {k: v for k, v in given.items() if v is not _UNSET}
    if "crisis_resources" in given and given["crisis_resources"] is not None:
        given["crisis_resources"] = json.dumps(list(given["crisis_resources"]), ensure_ascii=False)
    stamp = ts(store.clock())

    def op(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO guild_settings (guild, updated_at) VALUES (?, ?) ON CONFLICT (guild) DO NOTHING",
                  (guild, stamp))
        for name, value in given.items():
            assert name in _FIELDS
            c.execute(f"UPDATE guild_settings SET {name} = ?, updated_at = ? WHERE guild = ?", (value, stamp, guild))

    await store._write(op)
    current = await get_guild_settings(store, guild)
    assert current is not None
    return current


async def clear_guild_settings(store: SQLiteStore, guild: str) -> bool:
    return bool(await store._write(lambda c: c.execute("DELETE FROM guild_settings WHERE guild = ?", (guild,)).rowcount))


def resolve(keyring: Any, kind: str, pseudonym: str | None, candidates: Iterable[T]) -> T | None:
    """The candidate (anything with `.id`) whose keyed pseudonym of `kind` equals `pseudonym`."""
    if not pseudonym:
        return None
    for item in candidates:
        if keyring.pseudonym(kind, item.id) == pseudonym:  # type: ignore[attr-defined]
            return item
    return None
