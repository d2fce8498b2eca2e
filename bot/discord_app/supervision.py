"""Shared adapter plumbing of the supervisor side (prompts, schedules, digest, shares).

Every word comes from prompts/supervisor/*.j2 (rendered for Discord: values escaped); every
message inherits the bot-level AllowedMentions.none(). Ids are only ever stored as pseudonyms.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import discord

from bot.core.flow import Opening
from bot.core.render import Safe, render, render_output
from bot.core.schedule import week_key
from bot.core.split import EMBED_DESCRIPTION, MESSAGE, split_text
from bot.core.supervision import builtin_prompts
from bot.core.templates import TemplateRejected, check_template, render_template
from bot.discord_app.common import guild_place, services
from bot.store import supervision as sup
from bot.store.guild_settings import resolve

log = logging.getLogger("bot.discord_app.supervision")

PROMPT_ID = "rsb:prompt:"
SHARE_ID = "rsb:share:"


def words(_template: str, /, **ctx: Any) -> str:
    """prompts/supervisor/<_template>.j2 for Discord."""
    return render(f"supervisor/{_template}.j2", target="discord", **ctx)


def label(_template: str, /, **ctx: Any) -> str:
    """prompts/supervisor/<_template>.j2 as plain text: for names, labels, footers and charts,
    where Discord shows text literally (no markdown escaping)."""
    return render(f"supervisor/{_template}.j2", target="plain", **ctx)


async def say(interaction: discord.Interaction, _template: str, /, *, ephemeral: bool = True,
              view: discord.ui.View | None = None, file: discord.File | None = None,
              embeds: list[discord.Embed] | None = None, **ctx: Any) -> None:
    parts = split_text(words(_template, **ctx), MESSAGE) or [""]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        kw: dict[str, Any] = {"content": part or None}
        if last:
            kw.update({k: v for k, v in (("view", view), ("file", file), ("embeds", embeds)) if v is not None})
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=ephemeral, **kw)
        else:
            await interaction.followup.send(ephemeral=ephemeral, **kw)


def gp(client: discord.Client, guild: discord.abc.Snowflake) -> str:
    return services(client).keyring.pseudonym("guild", guild.id)


def up(client: discord.Client, user: discord.abc.Snowflake) -> str:
    return services(client).keyring.pseudonym("user", user.id)


def channel_pseudonym(client: discord.Client, channel: discord.abc.Snowflake) -> str:
    return services(client).keyring.pseudonym("channel", channel.id)


def find_channel(client: discord.Client, guild: discord.Guild, pseudonym: str) -> discord.TextChannel | None:
    return resolve(services(client).keyring, "channel", pseudonym, guild.text_channels)


async def find_thread(client: discord.Client, guild: discord.Guild, pseudonym: str) -> discord.Thread | None:
    keyring = services(client).keyring
    found = resolve(keyring, "thread", pseudonym, guild.threads)
    if found is None:
        try:
            found = resolve(keyring, "thread", pseudonym, await guild.active_threads())
        except discord.HTTPException:
            found = None
    return found


async def current_group_thread(client: discord.Client, guild: discord.Guild) -> tuple[str, discord.Thread] | None:
    """The newest weekly group thread the bot opened in this server that still exists."""
    for week, pseudo in await sup.group_threads(services(client).store, gp(client, guild)):
        thread = await find_thread(client, guild, pseudo)
        if thread is not None:
            return week, thread
    return None


async def guild_tz(client: discord.Client, guild: discord.Guild | None) -> str:
    return (await guild_place(client, guild)).timezone


# --------------------------------------------------------------------------- prompts

def template_vars(now: datetime, tz: str, group: str | None, topic: str | None = None) -> dict[str, str]:
    local = now.astimezone(__import__("zoneinfo").ZoneInfo(tz))
    out = {"week": week_key(now, tz), "date": local.date().isoformat()}
    if group:
        out["group"] = group
    if topic:
        out["topic"] = topic
    return out


async def resolve_prompt(client: discord.Client, guild: discord.Guild, name: str | None, text: str | None,
                         group: str | None, now: datetime) -> tuple[str, str]:
    """(title, rendered text) of a built-in prompt, a saved template, or ad-hoc template text.
    Raises TemplateRejected (with sentences for the supervisor) or LookupError (unknown name)."""
    svc = services(client)
    tz = await guild_tz(client, guild)
    if name:
        key = name.strip().lower()
        builtin = builtin_prompts(svc.pack.id).get(key)
        if builtin is not None:
            return builtin.title, builtin.text
        body = await sup.get_template(svc.store, gp(client, guild), key)
        if body is None:
            raise LookupError(key)
        return key, render_template(body, template_vars(now, tz, group), svc.pack)
    problems = check_template(text or "", svc.pack)
    if problems:
        raise TemplateRejected(problems)
    return "", render_template(text or "", template_vars(now, tz, group), svc.pack)


class ReflectOnThis(discord.ui.DynamicItem[discord.ui.Button], template=r"rsb:prompt:(?P<ref>[A-Za-z0-9_-]{1,40})"):
    """The persistent "Reflect on this" button under a posted prompt."""

    def __init__(self, ref: str):
        super().__init__(discord.ui.Button(label=label("reflect_button"), style=discord.ButtonStyle.primary,
                                           custom_id=f"{PROMPT_ID}{ref}"))
        self.ref = ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any):
        return cls(match["ref"])

    async def callback(self, interaction: discord.Interaction) -> None:
        from bot.discord_app.common import guarded

        async def run(inter: discord.Interaction) -> None:
            text = await sup.posted_prompt(services(inter.client).store, self.ref)
            if text is None:
                await say(inter, "prompt_gone")
                return
            await start_reflection(inter, text)

        await guarded(interaction, "reflect-on-this", run)


async def post_prompt(client: discord.Client, channel: discord.abc.Messageable, guild: discord.Guild,
                      title: str, text: str) -> discord.Message:
    ref = await sup.remember_prompt(services(client).store, gp(client, guild), text)
    body = split_text(text, EMBED_DESCRIPTION)
    embed = discord.Embed(title=words("prompt_title", title=title)[:256],
                          description=body[0] if body else None, colour=discord.Colour.teal())
    embed.set_footer(text=label("prompt_footer"))
    view = discord.ui.View(timeout=None)
    view.add_item(ReflectOnThis(ref))
    return await channel.send(embed=embed, view=view)


# --------------------------------------------------------------------------- starting a reflection

async def start_reflection(interaction: discord.Interaction, seed: str) -> None:
    """Start a private guided reflection that opens with `seed`.

    Reuses the reflect cog's own starter (ReflectCog.start_reflection(user, guild, seed=)), so
    there is one way to start a reflection; only when that cog is not loaded does it open a
    private thread (or a DM) itself and start the session there.
    """
    cog = interaction.client.get_cog("ReflectCog") if hasattr(interaction.client, "get_cog") else None
    starter = getattr(cog, "start_reflection", None)
    if starter is None:
        await _start_here(interaction, seed)
        return
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    channel, _turn, _fell_back, _resumed = await starter(interaction.user, interaction.guild, seed=seed)
    if channel is None:
        await say(interaction, "reflect_no_place")
        return
    where = Safe(channel.mention) if isinstance(channel, discord.Thread) else None
    await say(interaction, "reflect_started", where=where)


async def _start_here(interaction: discord.Interaction, seed: str) -> None:
    from bot.core.reflection import ReflectionService

    client = interaction.client
    svc = services(client)
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    guild = interaction.guild
    place_obj: discord.abc.Messageable | None = None
    if guild is not None:
        gp_ = await guild_place(client, guild)
        home = gp_.reflection_channel or (interaction.channel if isinstance(interaction.channel, discord.TextChannel) else None)
        if home is not None and home.permissions_for(guild.me).create_private_threads:
            try:
                thread = await home.create_thread(name=label("reflection_thread_name")[:100],
                                                  type=discord.ChannelType.private_thread, invitable=False)
                await thread.add_user(interaction.user)
                place_obj = thread
            except discord.HTTPException:
                place_obj = None
        crisis = gp_.crisis_resources
    else:
        crisis = svc.config.defaults.crisis_resources
    if place_obj is None:
        try:
            place_obj = await interaction.user.create_dm()
        except discord.HTTPException:
            await say(interaction, "reflect_no_place")
            return
    kind = "thread" if isinstance(place_obj, discord.Thread) else "channel"
    place = svc.keyring.pseudonym(kind, place_obj.id)  # type: ignore[union-attr]
    service = ReflectionService(svc.store, svc.pack, svc.clock, crisis)
    turn = await service.start(up(client, interaction.user), place=place, seed=seed)
    for out in turn.outputs:
        if isinstance(out, Opening) or out.template:
            for part in split_text(render_output(out, target="discord"), MESSAGE):
                await place_obj.send(part)
    where = Safe(place_obj.mention) if isinstance(place_obj, discord.Thread) else None
    await say(interaction, "reflect_started", where=where)


# --------------------------------------------------------------------------- after a save (hook)

async def after_entry_saved(client: discord.Client, guild: discord.Guild | None, user: discord.abc.Snowflake,
                            entry_id: str, entry: Any) -> None:
    """Call once an entry is saved in a server: records the non-identifying digest facts row, then
    offers the author (by DM) to share one answer with the group's weekly thread, if there is one.

    `entry` is the NewEntry (or Entry) that was saved: only its topic and question ids are used.
    Registered as services.extra["after_entry_saved"] so the reflect cog needs no import.
    """
    if guild is None:
        return
    svc = services(client)
    tz = await guild_tz(client, guild)
    answered = [q for q, a in (getattr(entry, "answers", None) or {}).items() if a]
    await sup.record_facts(svc.store, entry_id=entry_id, guild=gp(client, guild), week=week_key(svc.clock(), tz),
                           author=up(client, user), topics=list(getattr(entry, "topics", []) or []),
                           answered=answered, skipped=list(getattr(entry, "skipped", []) or []))
    if isinstance(user, (discord.User, discord.Member)):
        await offer_share_by_dm(client, guild, user, entry_id)


def share_button(entry_id: str, guild_id: int | None = None) -> discord.ui.View:
    """A view with the persistent "Share an excerpt" button for a saved entry. With `guild_id` it
    works outside the server too (in the DM the offer is sent to); the id lives only in Discord."""
    view = discord.ui.View(timeout=None)
    view.add_item(ShareButton(entry_id, guild_id))
    return view


class ShareButton(discord.ui.DynamicItem[discord.ui.Button],
                  template=r"rsb:share:(?P<entry>[A-Za-z0-9_-]{1,40})(?::(?P<guild>\d{1,20}))?"):
    def __init__(self, entry_id: str, guild_id: int | None = None):
        custom_id = f"{SHARE_ID}{entry_id}" + (f":{guild_id}" if guild_id else "")
        super().__init__(discord.ui.Button(label=label("share_button"), style=discord.ButtonStyle.secondary,
                                           custom_id=custom_id))
        self.entry_id = entry_id
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any):
        return cls(match["entry"], int(match["guild"]) if match["guild"] else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        from bot.discord_app.cogs.share import offer_share
        from bot.discord_app.common import guarded

        guild = interaction.guild or (interaction.client.get_guild(self.guild_id) if self.guild_id else None)
        await guarded(interaction, "share", lambda inter: offer_share(inter, self.entry_id, guild))


async def offer_share_by_dm(client: discord.Client, guild: discord.Guild, user: discord.abc.User, entry_id: str) -> None:
    """After a reflection saved in a server with a weekly group thread: a DM offering to share one
    anonymised answer (the private thread is gone by then). DMs closed: nothing (/share last works)."""
    if await current_group_thread(client, guild) is None:
        return
    try:
        await user.send(words("share_offer", group=guild.name), view=share_button(entry_id, guild.id))
    except discord.HTTPException:
        pass
