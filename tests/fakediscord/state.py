"""Plain-dataclass world state of the fake, plus the JSON payload shapes discord.py parses.

Payload builders live next to the dataclasses so a shape fix is made in one place.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from . import permissions as P

DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count(1)


def snowflake() -> int:
    """A realistic, unique, increasing 18-19 digit snowflake id."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


# Channel types
GUILD_TEXT, DM, GUILD_CATEGORY, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 4, 11, 12


@dataclass(eq=False)
class FakeUser:
    id: int
    username: str
    bot: bool = False
    dms_closed: bool = False
    global_name: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id), "username": self.username, "discriminator": "0",
            "global_name": self.global_name, "avatar": None, "bot": self.bot, "public_flags": 0,
        }


@dataclass(eq=False)
class FakeRole:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 1
    managed: bool = False

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id), "name": self.name, "color": 0, "colors": {"primary_color": 0},
            "hoist": False, "icon": None, "unicode_emoji": None, "position": self.position,
            "permissions": str(self.permissions), "managed": self.managed, "mentionable": False, "flags": 0,
        }


@dataclass(eq=False)
class FakeMember:
    user: FakeUser
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention

    @property
    def dms_closed(self) -> bool:
        return self.user.dms_closed

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids], "nick": self.nick, "avatar": None, "banner": None,
            "joined_at": self.joined_at, "premium_since": None, "deaf": False, "mute": False, "flags": 0,
            "pending": False, "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass(eq=False)
class FakeChannel:
    """Guild text channel, category, thread (type 11/12) or DM (type 1)."""

    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    overwrites: dict[int, tuple[int, int]] = field(default_factory=dict)  # target id -> (allow, deny)
    overwrite_types: dict[int, int] = field(default_factory=dict)  # target id -> 0 role / 1 member
    recipient_id: int | None = None  # DMs
    # threads
    owner_id: int | None = None
    member_ids: set[int] = field(default_factory=set)
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    message_count: int = 0
    last_message_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in (PUBLIC_THREAD, PRIVATE_THREAD)

    @property
    def is_private_thread(self) -> bool:
        return self.type == PRIVATE_THREAD

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self, *, recipients: list[FakeUser] | None = None, me_id: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id), "type": self.type,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
        }
        if self.type == DM:
            data["recipients"] = [u.payload() for u in (recipients or [])]
            data["flags"] = 0
            return data
        data.update({"name": self.name, "guild_id": str(self.guild_id), "flags": 0, "rate_limit_per_user": 0})
        if self.parent_id is not None:
            data["parent_id"] = str(self.parent_id)
        else:
            data["parent_id"] = None
        if self.is_thread:
            data.update({
                "owner_id": str(self.owner_id) if self.owner_id else None,
                "message_count": self.message_count, "member_count": len(self.member_ids),
                "total_message_sent": self.message_count,
                "thread_metadata": {
                    "archived": self.archived, "locked": self.locked, "invitable": self.invitable,
                    "auto_archive_duration": self.auto_archive_duration, "archive_timestamp": iso_now(),
                    "create_timestamp": iso_now(),
                },
            })
            if me_id is not None and me_id in self.member_ids:
                data["member"] = {
                    "id": str(self.id), "user_id": str(me_id), "join_timestamp": iso_now(), "flags": 0,
                }
        else:
            data.update({
                "position": self.position, "nsfw": False, "topic": None,
                "default_auto_archive_duration": 1440,
                "permission_overwrites": [
                    {"id": str(tid), "type": self.overwrite_types.get(tid, 0), "allow": str(a), "deny": str(d)}
                    for tid, (a, d) in self.overwrites.items()
                ],
            })
        return data


@dataclass(eq=False)
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]


@dataclass(eq=False)
class FakeMessage:
    """A message as the fake stored it; product tests assert on these fields."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # filename -> bytes
    allowed_mentions: dict[str, Any] | None = None
    flags: int = 0
    type: int = 0
    mention_ids: list[int] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    webhook_id: int | None = None
    interaction_id: int | None = None
    message_reference: dict[str, Any] | None = None
    thread_id: int | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict)  # the last JSON the bot sent for it

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """All buttons (type 2), flattened, in display order."""
        return [c for c in iter_components(self.components) if c.get("type") == 2]

    @property
    def button_labels(self) -> list[str]:
        return [b.get("label") or "" for b in self.buttons]

    @property
    def embed(self) -> dict[str, Any] | None:
        return self.embeds[0] if self.embeds else None

    @property
    def text(self) -> str:
        """Content plus all embed text, handy for `in` assertions."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            for f in e.get("fields") or []:
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((e.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)


def iter_components(components: list[dict[str, Any]]):
    """Depth-first walk over nested components (rows, containers, sections, labels)."""
    for c in components or []:
        yield c
        if c.get("components"):
            yield from iter_components(c["components"])
        if isinstance(c.get("component"), dict):
            yield from iter_components([c["component"]])
        if isinstance(c.get("accessory"), dict):
            yield from iter_components([c["accessory"]])


@dataclass(eq=False)
class AppCommand:
    id: int
    application_id: int
    guild_id: int | None
    data: dict[str, Any]
    version: int

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def type(self) -> int:
        return self.data.get("type", 1)

    def payload(self) -> dict[str, Any]:
        d = dict(self.data)
        d.setdefault("type", 1)
        d.setdefault("description", "")
        d.setdefault("options", [])
        d.setdefault("default_member_permissions", None)
        d.setdefault("nsfw", False)
        d.update({
            "id": str(self.id), "application_id": str(self.application_id), "version": str(self.version),
            "dm_permission": d.get("dm_permission", True),
        })
        if self.guild_id is not None:
            d["guild_id"] = str(self.guild_id)
        return d


@dataclass(eq=False)
class InteractionRecord:
    """Server-side bookkeeping for one interaction (3 s / 15 min rules, acknowledgement)."""

    id: int
    token: str
    type: int
    created_at: float
    channel_id: int
    guild_id: int | None
    user: FakeUser
    payload: dict[str, Any]
    response_type: int | None = None
    response_data: dict[str, Any] | None = None
    original_message_id: int | None = None
    source_message_id: int | None = None  # for component interactions
    ephemeral: bool = False


def effective_overwrites(channels: dict[int, FakeChannel], channel: FakeChannel) -> FakeChannel:
    """Threads inherit permissions from their parent channel."""
    if channel.is_thread and channel.parent_id in channels:
        return channels[channel.parent_id]
    return channel


def member_permissions(guild: FakeGuild, member: FakeMember, channel: FakeChannel | None,
                       channels: dict[int, FakeChannel]) -> int:
    """Full permission computation for a member, optionally in a channel."""
    base = P.base_permissions(
        is_owner=guild.owner_id == member.id,
        everyone=guild.everyone.permissions,
        role_perms=[guild.roles[r].permissions for r in member.role_ids if r in guild.roles],
    )
    if channel is None:
        return base
    source = effective_overwrites(channels, channel)
    perms = P.apply_overwrites(base, guild_id=guild.id, member_id=member.id, member_role_ids=member.role_ids,
                               overwrites=source.overwrites)
    return perms
