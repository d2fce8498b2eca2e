"""Channel mode: answering a supervisee in the reflection channel and in weekly group threads.

When someone mentions the bot there (or writes there, with message_content enabled), the bot
answers IN THE CHANNEL with the passages that fit and one reflective follow-up, and never
repeats the person's words. What they wrote is kept only as an encrypted "seed" session of
theirs, for the two buttons: "Reflect privately on this" and "Save to my journal".
Identifying details are flagged privately (DM, else on their next button press); a risk hit
is answered privately, never with theory in public.
"""
from __future__ import annotations

import logging
import re
import secrets
from collections import Counter

import discord
from discord.ext import commands

from bot.core.flow import flow_for
from bot.core.ports import StoredSession
from bot.core.privacy import scrub
from bot.core.render import Safe, render
from bot.core.safety import screen
from bot.core.topics import match_topics
from bot.discord_app.common import (
    defer, guarded, guild_place, is_reflection_place, log_error, owner_of, place_of, reply, send_parts, services, text,
)

log = logging.getLogger(__name__)
SEED = "seed"  # status of a channel message kept (encrypted) for its author's buttons


def label(action: str) -> str:
    return render("discord/label.j2", target="plain", action=action)


class ChannelButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=r"rsb:ch:(?P<action>reflect|save|private):(?P<sid>[A-Za-z0-9_-]{1,64})"):
    def __init__(self, action: str, sid: str):
        style = discord.ButtonStyle.primary if action != "save" else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label(f"ch_{action}"), style=style, custom_id=f"rsb:ch:{action}:{sid}"))
        self.action, self.sid = action, sid

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> "ChannelButton":
        return cls(match["action"], match["sid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: ChannelCog = interaction.client.get_cog("ChannelCog")  # type: ignore[assignment]
        await guarded(interaction, f"channel:{self.action}", lambda i: cog.on_button(i, self.action, self.sid))


class DeleteButton(discord.ui.DynamicItem[discord.ui.Button],
                   template=r"rsb:chdel:(?P<cid>\d{1,21}):(?P<mid>\d{1,21})"):
    """In the author's DM: delete their identifying message (ids live only in Discord's own data)."""

    def __init__(self, cid: int, mid: int):
        super().__init__(discord.ui.Button(label=label("ch_delete"), style=discord.ButtonStyle.danger,
                                           custom_id=f"rsb:chdel:{cid}:{mid}"))
        self.cid, self.mid = cid, mid

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> "DeleteButton":
        return cls(int(match["cid"]), int(match["mid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: ChannelCog = interaction.client.get_cog("ChannelCog")  # type: ignore[assignment]
        await guarded(interaction, "channel:delete", lambda i: cog.delete_message(i, self.cid, self.mid))


def _view(*items: discord.ui.Item) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for it in items:
        view.add_item(it)
    return view


class ChannelCog(commands.Cog):
    def __init__(self, bot: commands.Bot):
        self.bot = bot
        # owner pseudonym -> (channel id, message id, warning context): identifier warnings that
        # could not be sent by DM, delivered with their next button press (memory only)
        self.pending_warnings: dict[str, tuple[int, int, dict]] = {}

    # ------------------------------------------------------------------ listening
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or self.bot.user is None:
            return
        mentioned = self.bot.user in message.mentions
        if not (mentioned or services(self.bot).config.discord.message_content):
            return
        channel = message.channel
        if isinstance(channel, discord.Thread) and channel.type == discord.ChannelType.private_thread:
            return  # private reflection threads belong to the reflect cog
        try:
            if not await is_reflection_place(self.bot, channel):
                return
            raw = re.sub(rf"<@!?{self.bot.user.id}>", " ", message.content or "").strip()
            if not raw:
                return
            await self.answer(message, raw)
        except Exception as exc:  # noqa: BLE001 - a listener has nobody to answer; log only
            log_error("channel mode", None, exc)

    async def answer(self, message: discord.Message, raw: str) -> None:
        svc = services(self.bot)
        owner = owner_of(self.bot, message.author)
        sid = secrets.token_urlsafe(12)
        await svc.store.put_session(StoredSession(id=sid, owner=owner, status=SEED, state={"seed": raw},
                                                  place=place_of(self.bot, message.channel)))
        scrubbed = scrub(raw)
        if scrubbed.redactions:
            await self.warn_identifying(message, owner, scrubbed)
        hits = screen(raw)
        if hits:
            await self.answer_risk(message, sid, hits)
            return
        matches = [m for m in match_topics(svc.pack, raw) if m.passages]
        # the engine's own passage choice (at most two, one per topic first), from a fresh state
        passages = flow_for(svc.pack).passages_for(matches)
        follow_up = svc.pack.topic(matches[0].id).follow_up if matches else svc.pack.questions[0].text
        refs = sorted({(p.reference_number, p.reference_title) for p in passages if p.cited and p.reference_number})
        await send_parts(message.channel, "channel_answer", pack_name=svc.pack.short_name,
                         labels=[m.label for m in matches], passages=passages, references=refs,
                         any_uncited=any(not p.cited for p in passages), follow_up=follow_up,
                         view=_view(ChannelButton("reflect", sid), ChannelButton("save", sid)))

    def _risk_text(self, hits, resources) -> str:
        from bot.core.flow import RiskView

        return render("flow/risk.j2", target="discord", categories=tuple(RiskView(h.id, h.label) for h in hits),
                      resources=tuple(resources), waiting=False)

    async def answer_risk(self, message: discord.Message, sid: str, hits) -> None:
        resources = (await guild_place(self.bot, message.guild)).crisis_resources
        body = self._risk_text(hits, resources)
        try:
            dm = message.author.dm_channel or await message.author.create_dm()
            await dm.send(body, view=_view(ChannelButton("reflect", sid)))
            return
        except discord.Forbidden:
            pass
        await send_parts(message.channel, "channel_private_only", view=_view(ChannelButton("private", sid)))

    async def warn_identifying(self, message: discord.Message, owner: str, scrubbed) -> None:
        kinds = sorted(Counter(r.kind for r in scrubbed.redactions).items(), key=lambda kv: (-kv[1], kv[0]))
        perms = message.channel.permissions_for(message.guild.me)  # type: ignore[union-attr]
        ctx = {"channel": getattr(message.channel, "name", ""), "redactions": kinds,
               "can_delete": perms.manage_messages}
        try:
            dm = message.author.dm_channel or await message.author.create_dm()
            await dm.send(text("identifying_warning", **ctx), view=_view(DeleteButton(message.channel.id, message.id)))
        except discord.Forbidden:
            self.pending_warnings[owner] = (message.channel.id, message.id, ctx)

    async def _deliver_warning(self, interaction: discord.Interaction, owner: str) -> None:
        pending = self.pending_warnings.pop(owner, None)
        if pending is None:
            return
        cid, mid, ctx = pending
        await interaction.followup.send(text("identifying_warning", **ctx), ephemeral=True,
                                        view=_view(DeleteButton(cid, mid)))

    # ------------------------------------------------------------------ buttons
    async def on_button(self, interaction: discord.Interaction, action: str, sid: str) -> None:
        svc = services(self.bot)
        owner = owner_of(self.bot, interaction.user)
        session = await svc.store.get_session(owner, sid)
        if session is None or session.status != SEED or not session.state.get("seed"):
            await reply(interaction, "channel_not_author")
            return
        seed = session.state["seed"]
        if action == "private":
            hits = screen(seed)
            resources = (await guild_place(self.bot, interaction.guild)).crisis_resources
            await interaction.response.send_message(self._risk_text(hits, resources), ephemeral=True,
                                                    view=_view(ChannelButton("reflect", sid)))
        elif action == "save":
            journal = self.bot.get_cog("JournalCog")
            await journal.preview(interaction, "save", seed, None)  # type: ignore[union-attr]
        else:
            await defer(interaction)
            reflect = self.bot.get_cog("ReflectCog")
            channel, _turn, fell_back, _ = await reflect.start_reflection(  # type: ignore[union-attr]
                interaction.user, interaction.guild, seed=seed, new=True)
            if channel is None:
                await reply(interaction, "cannot_open")
            else:
                session.status, session.state = "discarded", {}  # the seed now lives in the reflection
                await svc.store.put_session(session)
                place = "dm" if isinstance(channel, discord.DMChannel) else "thread"
                await reply(interaction, "reflect_started", place=place, fallback=fell_back, resumed=False,
                            where=Safe(getattr(channel, "mention", "")))
        await self._deliver_warning(interaction, owner)

    async def delete_message(self, interaction: discord.Interaction, cid: int, mid: int) -> None:
        channel = self.bot.get_channel(cid)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(cid)
            except discord.HTTPException:
                await reply(interaction, "delete_result", done=False, gone=True)
                return
        try:
            msg = await channel.fetch_message(mid)  # type: ignore[union-attr]
        except discord.NotFound:
            await reply(interaction, "delete_result", done=False, gone=True)
            return
        if msg.author.id != interaction.user.id:
            await reply(interaction, "channel_not_author")
            return
        guild = getattr(channel, "guild", None)
        if guild is None or not channel.permissions_for(guild.me).manage_messages:  # type: ignore[union-attr]
            await reply(interaction, "delete_result", done=False, gone=False)
            return
        try:
            await msg.delete()
        except discord.Forbidden:
            await reply(interaction, "delete_result", done=False, gone=False)
            return
        await reply(interaction, "delete_result", done=True, gone=False)


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(ChannelButton, DeleteButton)
    await bot.add_cog(ChannelCog(bot))
