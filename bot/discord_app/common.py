"""Shared plumbing of the cogs: Services, pseudonyms, rendering, replies, errors, guild settings.

Every word a person reads comes from prompts/discord/*.j2 through `text()` (rendered for the
"discord" target, so every value is escaped: no markdown injection, no pings). Every message
inherits the bot-level `AllowedMentions.none()`; nothing here passes allowed_mentions.
Logs carry pseudonyms and exception classes only, never message text or raw ids.
"""
from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import discord

from bot.core.render import render
from bot.core.split import EMBED_DESCRIPTION, MESSAGE, split_text
from bot.services import Services
from bot.store.guild_settings import get_guild_settings, resolve

log = logging.getLogger("bot.discord_app")

EPHEMERAL = True
MODAL_TEXT_MAX = 4000


def services(client: discord.Client) -> Services:
    """The Services of the running bot (cogs never build their own)."""
    return client.services  # type: ignore[attr-defined]


def owner_of(client: discord.Client, user: discord.abc.User | discord.Object) -> str:
    """The person's pseudonym: the only way a Discord user is known to the core and the store."""
    return services(client).keyring.pseudonym("user", user.id)


def place_of(client: discord.Client, channel: Any) -> str:
    kind = "thread" if isinstance(channel, discord.Thread) else "channel"
    return services(client).keyring.pseudonym(kind, channel.id)


def text(name: str, **ctx: Any) -> str:
    """prompts/discord/<name>.j2 rendered for Discord (values escaped)."""
    return render(f"discord/{name}.j2", target="discord", **ctx)


def chunks(name: str, limit: int = MESSAGE, **ctx: Any) -> list[str]:
    return split_text(text(name, **ctx), limit) or [""]


def embed(name: str, *, title: str | None = None, **ctx: Any) -> discord.Embed:
    """One embed whose description is the rendered template (cut at a clean boundary)."""
    body = split_text(text(name, **ctx), EMBED_DESCRIPTION)
    e = discord.Embed(description=body[0] if body else None, colour=discord.Colour.teal())
    if title:
        e.title = title[:256]
    return e


def _kw(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None}


async def reply(interaction: discord.Interaction, name: str, *, ephemeral: bool = True,
                view: discord.ui.View | None = None, embeds: list[discord.Embed] | None = None,
                file: discord.File | None = None, **ctx: Any) -> None:
    """Answer an interaction with a template, split to Discord's limit; the view and embeds go on
    the last part. Uses the initial response when still possible, follow-ups otherwise."""
    parts = chunks(name, **ctx) if name else [""]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        kw = _kw(content=part or None, view=view if last else None, embeds=embeds if last else None,
                 file=file if last else None)
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=ephemeral, **kw)
        else:
            await interaction.followup.send(ephemeral=ephemeral, **kw)


async def send_parts(channel: discord.abc.Messageable, name: str, *, view: discord.ui.View | None = None,
                     embeds: list[discord.Embed] | None = None, reference: discord.Message | None = None,
                     **ctx: Any) -> discord.Message:
    """Post a template in a channel/thread/DM, split to the limit; returns the last message."""
    parts = chunks(name, **ctx) if name else [""]
    msg: discord.Message | None = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        kw = _kw(content=part or None, view=view if last else None, embeds=embeds if last else None,
                 reference=reference if i == 0 else None)
        if reference is not None and i == 0:
            kw["mention_author"] = False
        msg = await channel.send(**kw)
    assert msg is not None
    return msg


async def defer(interaction: discord.Interaction, *, ephemeral: bool = True, thinking: bool = True) -> None:
    """Acknowledge now (anything that may take over 2 s)."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=thinking)


# --------------------------------------------------------------------------- errors

def log_error(where: str, interaction: discord.Interaction | None, error: BaseException) -> None:
    """Exception class and stack frames only: an exception's message may quote what someone wrote."""
    who = "-"
    if interaction is not None and interaction.client is not None and hasattr(interaction.client, "services"):
        try:
            who = owner_of(interaction.client, interaction.user)
        except Exception:  # pragma: no cover - keyring unusable
            who = "?"
    original = getattr(error, "original", None) or error
    frames = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}"
                       for f in traceback.extract_tb(original.__traceback__)) if original.__traceback__ else ""
    log.error("%s failed for %s: %s\n%s", where, who, type(original).__name__, frames)


async def report_error(interaction: discord.Interaction, error: BaseException, where: str = "interaction") -> None:
    """A friendly ephemeral message for the person; details only in the log."""
    from discord import app_commands

    if isinstance(error, app_commands.CheckFailure) or isinstance(getattr(error, "original", None), NotAllowed):
        name = "not_allowed"
    elif isinstance(error, app_commands.NoPrivateMessage):
        name = "guild_only"
    else:
        name = "error"
        log_error(where, interaction, error)
    try:
        await reply(interaction, name)
    except discord.HTTPException:  # the interaction expired: nothing more we can say
        pass
    except Exception as exc:  # noqa: BLE001 - never let error reporting raise
        log_error("error reply", interaction, exc)


class NotAllowed(Exception):
    """Raised by a runtime permission check; reported as the polite not_allowed message."""


def install_error_handler(bot: discord.ext.commands.Bot) -> None:  # type: ignore[name-defined]
    async def on_error(interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error, where=f"/{interaction.command.qualified_name}"
                           if interaction.command else "command")

    bot.tree.on_error = on_error  # type: ignore[assignment]


Handler = Callable[[discord.Interaction], Awaitable[None]]


async def guarded(interaction: discord.Interaction, where: str, handler: Handler) -> None:
    """Run a component/modal handler; any failure becomes the friendly message + a log line."""
    try:
        await handler(interaction)
    except Exception as exc:  # noqa: BLE001 - the person must always get an answer
        await report_error(interaction, exc, where)


# --------------------------------------------------------------------------- guild settings

@dataclass(frozen=True)
class GuildPlace:
    """A server's effective settings: /setup values over config.yaml's, resolved to live objects."""

    reflection_channel: discord.TextChannel | None
    supervisor_role: discord.Role | None
    timezone: str
    crisis_resources: tuple[str, ...]
    supervisors_channel: discord.TextChannel | None = None


async def guild_place(client: discord.Client, guild: discord.Guild | None) -> GuildPlace:
    svc = services(client)
    cfg = svc.config.guild(guild.id if guild else None)
    if guild is None:
        return GuildPlace(None, None, cfg.timezone, cfg.crisis_resources)
    stored = await get_guild_settings(svc.store, svc.keyring.pseudonym("guild", guild.id))
    channel = None
    role = None
    if stored and stored.reflection_channel:
        channel = resolve(svc.keyring, "channel", stored.reflection_channel, guild.text_channels)
    elif cfg.reflection_channel:
        found = guild.get_channel(cfg.reflection_channel)
        channel = found if isinstance(found, discord.TextChannel) else None
    if stored and stored.supervisor_role:
        role = resolve(svc.keyring, "role", stored.supervisor_role, guild.roles)
    elif cfg.supervisor_role:
        role = guild.get_role(cfg.supervisor_role)
    tz = (stored.timezone if stored and stored.timezone else None) or cfg.timezone
    crisis = stored.crisis_resources if stored and stored.crisis_resources is not None else cfg.crisis_resources
    supervisors = None
    if stored and stored.supervisors_channel:
        supervisors = resolve(svc.keyring, "channel", stored.supervisors_channel, guild.text_channels)
    elif cfg.supervisors_channel:
        found = guild.get_channel(cfg.supervisors_channel)
        supervisors = found if isinstance(found, discord.TextChannel) else None
    return GuildPlace(channel, role, tz, tuple(crisis), supervisors)


async def is_reflection_place(client: discord.Client, channel: Any) -> bool:
    """The guild's reflection channel, a thread under it, or a weekly group thread.

    The supervisor/groups side can register `services.extra["is_group_thread"]`, an async
    callable (channel) -> bool (for example a store lookup of the group threads it created).
    """
    guild = getattr(channel, "guild", None)
    if guild is None:
        return False
    svc = services(client)
    hook = svc.extra.get("is_group_thread")
    if isinstance(channel, discord.Thread):
        if hook is not None and await hook(channel):
            return True
        try:  # the weekly group threads the supervision side opened (stored by thread pseudonym)
            from bot.store.supervision import is_group_thread

            for kind in ("thread", "channel"):
                if await is_group_thread(svc.store, svc.keyring.pseudonym(kind, channel.id)):
                    return True
        except ImportError:  # pragma: no cover - supervision not installed
            pass
    home = (await guild_place(client, guild)).reflection_channel
    if home is None:
        return False
    if channel.id == home.id:
        return True
    return isinstance(channel, discord.Thread) and channel.parent_id == home.id
