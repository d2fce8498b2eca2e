"""/reflect: the guided reflection in a private thread or a DM, over the engine's ReflectionService.

Thin: the flow (bot.core.flow via bot.core.reflection) decides everything; this cog opens the
place, turns each Turn's outputs into an embed (rendered from prompts/, escaped for Discord)
with buttons, and turns clicks, modal submissions and typed messages into flow events.

Buttons are persistent DynamicItems with custom ids `rsb:flow:<action>:<session_id>`: after a
restart a click on an old message still reaches the session (it lives in the store). The
clicker must own the session: the store only returns a session to its owner's pseudonym.
"""
from __future__ import annotations

import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.flow import CLOSING, ENDED, OPENING, PAUSED, RISK_HOLD, Discarded, Event, Saved
from bot.core.reflection import ReflectionService, SessionNotFound, Turn
from bot.core.render import Safe, render, render_output
from bot.core.split import EMBED_DESCRIPTION, split_text
from bot.discord_app.common import (
    MODAL_TEXT_MAX, defer, guarded, guild_place, owner_of, place_of, reply, send_parts, services, text,
)
from bot.discord_app.texts import cmd, opt

log = logging.getLogger(__name__)

# which buttons each phase shows (filtered by what the flow says is possible: Turn.commands)
BUTTONS: dict[str, tuple[str, ...]] = {
    OPENING: ("consent", "decline", "pause"),
    "asking": ("answer", "skip", "back", "pause", "finish"),
    RISK_HOLD: ("continue", "back", "pause", "finish"),
    CLOSING: ("save", "discard", "back"),
    PAUSED: ("resume",),
    ENDED: (),
}
STYLE = {"answer": discord.ButtonStyle.primary, "consent": discord.ButtonStyle.primary,
         "continue": discord.ButtonStyle.primary, "save": discord.ButtonStyle.success,
         "discard": discord.ButtonStyle.danger, "resume": discord.ButtonStyle.primary}
DM_CLOSED = 50007


def label(action: str) -> str:
    return render("discord/label.j2", target="plain", action=action)


class FlowButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"rsb:flow:(?P<action>[a-z_]+):(?P<sid>[A-Za-z0-9_-]{1,64})"):
    def __init__(self, action: str, sid: str):
        super().__init__(discord.ui.Button(label=label(action), style=STYLE.get(action, discord.ButtonStyle.secondary),
                                           custom_id=f"rsb:flow:{action}:{sid}"))
        self.action, self.sid = action, sid

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> "FlowButton":
        return cls(match["action"], match["sid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: ReflectCog = interaction.client.get_cog("ReflectCog")  # type: ignore[assignment]
        await guarded(interaction, f"flow:{self.action}", lambda i: cog.on_button(i, self.action, self.sid))


class AnswerModal(discord.ui.Modal):
    def __init__(self, cog: "ReflectCog", sid: str):
        super().__init__(title=label("modal_title"), custom_id=f"rsb:answer:{sid}", timeout=None)
        self.cog, self.sid = cog, sid
        self.answer = discord.ui.TextInput(label=label("modal_input"), style=discord.TextStyle.paragraph,
                                           max_length=MODAL_TEXT_MAX, placeholder=label("modal_placeholder"),
                                           custom_id="answer")
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, "flow:answer", lambda i: self.cog.on_answer(i, self.sid, self.answer.value))


def flow_view(turn: Turn) -> discord.ui.View | None:
    allowed = set(turn.commands) | ({"resume"} if turn.phase == PAUSED else set())
    actions = [a for a in BUTTONS.get(turn.phase, ()) if a in allowed]
    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    for a in actions:
        view.add_item(FlowButton(a, turn.session_id))
    return view


class ReflectCog(commands.Cog):
    def __init__(self, bot: commands.Bot):
        self.bot = bot
        svc = services(bot)
        self.service = ReflectionService(svc.store, svc.pack, clock=svc.clock,
                                         crisis_resources=svc.config.defaults.crisis_resources)
        self.last_message: dict[str, discord.Message] = {}  # session id -> its message with buttons

    # ------------------------------------------------------------------ rendering
    def _body(self, turn: Turn, typed: bool) -> str:
        parts = []
        for out in turn.outputs:
            if not out.template:
                continue
            part = render_output(out, target="discord")
            if part.strip():
                parts.append(part)
        if turn.phase == "asking" and any(type(o).__name__ == "Question" for o in turn.outputs):
            parts.append(text("typed_hint", typed=typed))
        return "\n\n".join(parts)

    async def show_turn(self, channel: discord.abc.Messageable, turn: Turn) -> discord.Message | None:
        """Post one turn: embed(s) with the rendered outputs, the phase's buttons on the last."""
        typed = getattr(channel, "guild", None) is None or services(self.bot).config.discord.message_content
        body = self._body(turn, typed)
        pieces = split_text(body, EMBED_DESCRIPTION) if body else []
        view = flow_view(turn)
        msg = None
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            kw = {"embed": discord.Embed(description=piece, colour=discord.Colour.teal())}
            if last and view is not None:
                kw["view"] = view
            msg = await channel.send(**kw)
        if msg is not None and view is not None:
            self.last_message[turn.session_id] = msg
        ended = [o for o in turn.outputs if isinstance(o, (Saved, Discarded))]
        if ended and isinstance(channel, discord.Thread):
            await self._clear_thread(channel, saved=isinstance(ended[0], Saved))
        return msg

    async def _after_saved(self, turn: Turn, owner: str, user: discord.abc.User, guild: discord.Guild | None) -> None:
        """Tell the supervision side an entry was saved (non-identifying digest facts)."""
        saved = next((o for o in turn.outputs if isinstance(o, Saved)), None)
        if saved is None:
            return
        svc = services(self.bot)
        hook = svc.extra.get("after_entry_saved")
        if hook is None:
            try:
                from bot.discord_app.supervision import after_entry_saved as hook
            except ImportError:  # pragma: no cover
                return
        try:
            entry = await svc.store.get_entry(owner, saved.entry_id)
            if entry is not None:
                await hook(self.bot, guild, user, saved.entry_id, entry)
        except Exception as exc:  # noqa: BLE001 - the entry is saved; facts are best effort
            from bot.discord_app.common import log_error

            log_error("after_entry_saved", None, exc)

    async def _clear_thread(self, thread: discord.Thread, saved: bool = True) -> None:
        """After saving (or discarding), raw text must not linger: delete the thread (or archive and lock it)."""
        mode = services(self.bot).config.discord.after_save
        if mode == "delete":
            try:
                await thread.delete()
                return
            except discord.HTTPException:
                log.warning("could not delete a reflection thread; archiving it instead")
        await send_parts(thread, "after_save", mode="archive", saved=saved)
        try:
            await thread.edit(archived=True, locked=True)
        except discord.HTTPException:
            log.warning("could not archive a reflection thread")

    async def _drop_buttons(self, interaction: discord.Interaction, sid: str) -> None:
        msg = interaction.message or self.last_message.get(sid)
        self.last_message.pop(sid, None)
        if msg is not None and msg.components:
            try:
                await msg.edit(view=None)
            except discord.HTTPException:
                pass

    async def _resources(self, guild: discord.Guild | None) -> tuple[str, ...]:
        return (await guild_place(self.bot, guild)).crisis_resources

    # ------------------------------------------------------------------ places
    async def _open_thread(self, user: discord.abc.User, guild: discord.Guild) -> discord.Thread | None:
        home = (await guild_place(self.bot, guild)).reflection_channel
        if home is None:
            return None
        try:
            thread = await home.create_thread(name=text("thread_name"), type=discord.ChannelType.private_thread,
                                              invitable=False, auto_archive_duration=10080)
        except discord.Forbidden:
            log.warning("missing permission to create a private reflection thread")
            return None
        await thread.add_user(user)
        return thread

    async def start_reflection(self, user: discord.abc.User, guild: discord.Guild | None, *,
                               where: str | None = None, case: str | None = None, seed: str | None = None,
                               new: bool = False) -> tuple[discord.abc.Messageable | None, Turn | None, bool, bool]:
        """Open the private place and post the first turn; usable from any button or command.

        Returns (channel, turn, fell_back_to_thread, resumed). channel None: no place could be
        opened (no reflection channel and DMs closed, or missing permissions)."""
        svc = services(self.bot)
        owner = owner_of(self.bot, user)
        where = "dm" if guild is None else (where or svc.config.discord.default_place)
        resources = await self._resources(guild)
        existing = None if (new or seed) else await svc.store.open_session_for(owner)
        if existing is not None and existing.unreadable:  # never overwrite a tampered row: start afresh
            existing = None
        fell_back = False
        channel: discord.abc.Messageable | None = None
        if where == "dm":
            channel = user.dm_channel or await user.create_dm()
        else:
            channel = await self._open_thread(user, guild) if guild else None
            if channel is None:
                return None, None, False, False
        if existing is not None:
            sid = existing.id
        else:
            sid = (await self.service.start(owner, case=case, place=place_of(self.bot, channel), seed=seed)).session_id
        turn = await self._move_and_resume(owner, sid, channel, resources)
        try:
            await self.show_turn(channel, turn)
        except discord.Forbidden as exc:
            if where != "dm" or exc.code != DM_CLOSED or guild is None:
                raise
            channel = await self._open_thread(user, guild)
            if channel is None:
                return None, None, False, False
            fell_back = True
            turn = await self._move_and_resume(owner, sid, channel, resources)
            await self.show_turn(channel, turn)
        return channel, turn, fell_back, existing is not None

    async def _move_and_resume(self, owner: str, sid: str, channel, resources) -> Turn:
        store = services(self.bot).store
        session = await store.get_session(owner, sid)
        if session is None or session.unreadable:
            raise SessionNotFound(sid)
        session.place = place_of(self.bot, channel)
        await store.put_session(session)
        return await self.service.handle(owner, sid, Event("resume"), resources)

    # ------------------------------------------------------------------ the command
    @app_commands.command(name="reflect", description=cmd("reflect"))
    @app_commands.describe(case=opt("reflect", "case"), where=opt("reflect", "where"), new=opt("reflect", "new"))
    async def reflect(self, interaction: discord.Interaction, case: app_commands.Range[str, 1, 40] | None = None,
                      where: Literal["thread", "dm"] | None = None, new: bool = False) -> None:
        await defer(interaction)
        channel, _turn, fell_back, resumed = await self.start_reflection(
            interaction.user, interaction.guild, where=where, case=case, new=new)
        if channel is None:
            home = (await guild_place(self.bot, interaction.guild)).reflection_channel if interaction.guild else None
            await reply(interaction, "no_reflection_channel" if home is None else "cannot_open")
            return
        place = "dm" if isinstance(channel, discord.DMChannel) else "thread"
        await reply(interaction, "reflect_started", place=place, fallback=fell_back, resumed=resumed,
                    where=Safe(getattr(channel, "mention", "")))

    # ------------------------------------------------------------------ events
    async def _session_or_refuse(self, interaction: discord.Interaction, sid: str):
        owner = owner_of(self.bot, interaction.user)
        session = await services(self.bot).store.get_session(owner, sid)
        if session is None or session.unreadable:
            await reply(interaction, "stranger")
            return None, owner
        return session, owner

    async def on_button(self, interaction: discord.Interaction, action: str, sid: str) -> None:
        session, owner = await self._session_or_refuse(interaction, sid)
        if session is None:
            return
        if action == "answer":
            await interaction.response.send_modal(AnswerModal(self, sid))
            return
        if action not in ("consent", "decline", "skip", "back", "pause", "finish", "continue", "save",
                          "discard", "resume", "help"):
            await reply(interaction, "stranger")
            return
        await interaction.response.defer()
        await self._step(interaction, owner, sid, Event(action))

    async def on_answer(self, interaction: discord.Interaction, sid: str, value: str) -> None:
        session, owner = await self._session_or_refuse(interaction, sid)
        if session is None:
            return
        await interaction.response.defer()
        await self._step(interaction, owner, sid, Event("answer", value))

    async def _step(self, interaction: discord.Interaction, owner: str, sid: str, event: Event) -> None:
        resources = await self._resources(interaction.guild)
        turn = await self.service.handle(owner, sid, event, resources)
        await self._after_saved(turn, owner, interaction.user, interaction.guild)
        await self._drop_buttons(interaction, sid)
        channel = interaction.channel
        if channel is None:
            return
        try:
            await self.show_turn(channel, turn)
        except discord.HTTPException:  # the step is already stored: say so, rather than "nothing was changed"
            log.warning("could not post a reflection turn; it is kept in the session")
            await reply(interaction, "send_failed")

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Typed answers: always in a DM; in a reflection thread when message_content is on."""
        if message.author.bot or not message.content:
            return
        in_dm = message.guild is None
        if not in_dm and not (isinstance(message.channel, discord.Thread)
                              and services(self.bot).config.discord.message_content):
            return
        try:
            svc = services(self.bot)
            session = await svc.store.session_at(place_of(self.bot, message.channel))
            owner = owner_of(self.bot, message.author)
            if session is None or session.owner != owner:
                return
            resources = await self._resources(message.guild)
            turn = await self.service.handle(owner, session.id, Event("answer", message.content), resources)
            await self._after_saved(turn, owner, message.author, message.guild)
            old = self.last_message.pop(session.id, None)
            if old is not None:
                try:
                    await old.edit(view=None)
                except discord.HTTPException:
                    pass
            await self.show_turn(message.channel, turn)
        except Exception as exc:  # noqa: BLE001
            from bot.discord_app.common import log_error

            log_error("typed answer", None, exc)


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(FlowButton)
    await bot.add_cog(ReflectCog(bot))
