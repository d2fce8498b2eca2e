"""Discord permission arithmetic, so `has_permissions` checks in the bot are really exercised.

Follows Discord's documented algorithm: base permissions from @everyone + member roles
(owner and ADMINISTRATOR get everything), then channel overwrites in the order
@everyone, roles (all denies then all allows), member. Threads use their parent's overwrites.
"""
from __future__ import annotations

from typing import Iterable

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40

ALL = (1 << 53) - 1

#: What @everyone gets in a freshly created guild (roughly Discord's defaults).
DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE | ADD_REACTIONS | VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES
    | READ_MESSAGE_HISTORY | USE_EXTERNAL_EMOJIS | USE_APPLICATION_COMMANDS | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS
)
#: What the bot's managed role gets by default (what a typical invite URL grants).
DEFAULT_BOT = (
    VIEW_CHANNEL | SEND_MESSAGES | SEND_MESSAGES_IN_THREADS | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
    | CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS | MANAGE_THREADS | USE_APPLICATION_COMMANDS | ADD_REACTIONS
)
#: Permissions Discord reports as `app_permissions` for interactions in DMs.
DM_PERMISSIONS = (
    ADD_REACTIONS | VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS | USE_APPLICATION_COMMANDS
)


def as_int(value: object) -> int:
    """Accept ints, `discord.Permissions` (has `.value`) or strings."""
    if value is None:
        return 0
    if hasattr(value, "value"):
        return int(value.value)  # type: ignore[attr-defined]
    return int(value)  # type: ignore[call-overload]


def base_permissions(*, is_owner: bool, everyone: int, role_perms: Iterable[int]) -> int:
    """Guild-level permissions of a member."""
    if is_owner:
        return ALL
    perms = everyone
    for p in role_perms:
        perms |= p
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def apply_overwrites(
    base: int,
    *,
    guild_id: int,
    member_id: int,
    member_role_ids: Iterable[int],
    overwrites: dict[int, tuple[int, int]],
) -> int:
    """Apply channel overwrites (id -> (allow, deny)) to base permissions."""
    if base & ADMINISTRATOR or base == ALL:
        return ALL
    perms = base
    allow, deny = overwrites.get(guild_id, (0, 0))
    perms = (perms & ~deny) | allow
    r_allow = r_deny = 0
    for rid in member_role_ids:
        if rid in overwrites:
            a, d = overwrites[rid]
            r_allow |= a
            r_deny |= d
    perms = (perms & ~r_deny) | r_allow
    allow, deny = overwrites.get(member_id, (0, 0))
    perms = (perms & ~deny) | allow
    # Implicit permissions: no VIEW_CHANNEL means nothing; no SEND_MESSAGES drops send-ish bits.
    if not perms & VIEW_CHANNEL:
        return 0
    if not perms & SEND_MESSAGES:
        perms &= ~(SEND_TTS_MESSAGES | MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES)
    return perms
