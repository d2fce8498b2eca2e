"""/journal list|show|edit|export|delete and the "Save to my reflection journal" message command.

Every reply is ephemeral. Every store call is scoped by the clicker's own pseudonym, so an id
typed by someone else reads as "not found": nobody can see, export or delete another's entries.
Text is scrubbed (bot.core.privacy) and previewed before anything is stored; confirmations
are buttons. Pending previews live in memory only (a restart makes them expire, safely).
"""
from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import journal as core_journal
from bot.core.ports import NewEntry
from bot.core.privacy import scrub
from bot.core.render import render
from bot.discord_app.common import MODAL_TEXT_MAX, defer, guarded, owner_of, reply, services
from bot.discord_app.texts import cmd, menu, opt

PENDING_TTL = 15 * 60  # seconds a preview can be confirmed


def label(action: str) -> str:
    return render("discord/label.j2", target="plain", action=action)


@dataclass
class Pending:
    owner: str
    kind: str  # "edit" | "save"
    text: str  # scrubbed text, exactly as previewed
    entry_id: str | None
    expires: float


def _stamp(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def entry_view(e: Any) -> dict[str, Any]:
    first = (e.text or "").strip().splitlines()
    preview = next((line for line in first if line.strip() and not line.startswith("#")), "")
    return {"id": e.id, "created_at": _stamp(e.created_at), "updated_at": _stamp(e.updated_at),
            "edited": bool(e.history) or e.updated_at != e.created_at, "case": e.case, "topics": list(e.topics),
            "text": e.text, "unreadable": e.unreadable, "history": len(e.history),
            "preview": preview[:100] + ("…" if len(preview) > 100 else "")}


class JournalButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=r"rsb:jr:(?P<action>[a-z_]+):(?P<ref>[A-Za-z0-9_-]{1,64})"):
    """confirm / cancel a pending preview (ref = token), del (ref = entry id), delall (ref = x)."""

    def __init__(self, action: str, ref: str):
        names = {"confirm_edit": "j_confirm_edit", "confirm_save": "ch_confirm", "cancel": "j_cancel",
                 "del": "j_confirm_delete", "delall": "j_confirm_all"}
        style = discord.ButtonStyle.danger if action in ("del", "delall") else (
            discord.ButtonStyle.secondary if action == "cancel" else discord.ButtonStyle.success)
        super().__init__(discord.ui.Button(label=label(names[action]), style=style, custom_id=f"rsb:jr:{action}:{ref}"))
        self.action, self.ref = action, ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> "JournalButton":
        return cls(match["action"], match["ref"])

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: JournalCog = interaction.client.get_cog("JournalCog")  # type: ignore[assignment]
        await guarded(interaction, f"journal:{self.action}", lambda i: cog.on_button(i, self.action, self.ref))


def buttons(*items: tuple[str, str]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action, ref in items:
        view.add_item(JournalButton(action, ref))
    return view


class EditModal(discord.ui.Modal):
    def __init__(self, cog: "JournalCog", entry_id: str, current: str):
        super().__init__(title=label("j_edit_title"), custom_id=f"rsb:jedit:{entry_id}", timeout=None)
        self.cog, self.entry_id = cog, entry_id
        self.body = discord.ui.TextInput(label=label("j_edit_input"), style=discord.TextStyle.paragraph,
                                         default=current, max_length=MODAL_TEXT_MAX, custom_id="text")
        self.add_item(self.body)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, "journal:edit", lambda i: self.cog.preview(i, "edit", self.body.value, self.entry_id))


class JournalCog(commands.Cog):
    journal = app_commands.Group(name="journal", description=cmd("journal"))

    def __init__(self, bot: commands.Bot):
        self.bot = bot
        self.pending: dict[str, Pending] = {}
        self.ctx_menu = app_commands.ContextMenu(name=menu("save_to_journal"), callback=self.save_message)
        bot.tree.add_command(self.ctx_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.ctx_menu.name, type=self.ctx_menu.type)

    @property
    def store(self) -> Any:
        return services(self.bot).store

    # ------------------------------------------------------------------ commands
    @journal.command(name="list", description=cmd("journal list"))
    @app_commands.describe(since=opt("journal list", "since"), case=opt("journal list", "case"))
    async def list_(self, interaction: discord.Interaction, since: str | None = None, case: str | None = None) -> None:
        when = None
        if since:
            try:
                when = datetime.fromisoformat(since.strip())
            except ValueError:
                await reply(interaction, "journal_bad_date", value=since)
                return
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
        await defer(interaction)
        owner = owner_of(self.bot, interaction.user)
        entries = await core_journal.list_entries(self.store, owner, since=when, case=case.strip() if case else None)
        await reply(interaction, "journal_list", entries=[entry_view(e) for e in entries], filtered=bool(since or case))

    @journal.command(name="show", description=cmd("journal show"))
    @app_commands.describe(id=opt("journal show", "id"))
    async def show(self, interaction: discord.Interaction, id: str) -> None:
        await defer(interaction)
        entry = await core_journal.show(self.store, owner_of(self.bot, interaction.user), id.strip())
        if entry is None:
            await reply(interaction, "journal_not_found")
            return
        await reply(interaction, "journal_show", e=entry_view(entry))

    @journal.command(name="edit", description=cmd("journal edit"))
    @app_commands.describe(id=opt("journal edit", "id"))
    async def edit(self, interaction: discord.Interaction, id: str) -> None:
        entry = await core_journal.show(self.store, owner_of(self.bot, interaction.user), id.strip())
        if entry is None or entry.unreadable:
            await reply(interaction, "journal_not_found")
            return
        if len(entry.text) > MODAL_TEXT_MAX:
            await reply(interaction, "journal_too_long", editing=True, max_chars=MODAL_TEXT_MAX)
            return
        await interaction.response.send_modal(EditModal(self, entry.id, entry.text))

    @journal.command(name="export", description=cmd("journal export"))
    @app_commands.describe(format=opt("journal export", "format"))
    async def export(self, interaction: discord.Interaction, format: Literal["md", "json"] = "md") -> None:
        await defer(interaction)
        svc = services(self.bot)
        owner = owner_of(self.bot, interaction.user)
        now = svc.clock()
        body = await core_journal.export(self.store, owner, format, now)
        count = len(await core_journal.list_entries(self.store, owner))
        name = f"reflection-journal-{now.strftime('%Y%m%d')}.{format}"
        await reply(interaction, "journal_export", count=count, fmt=format,
                    file=discord.File(io.BytesIO(body.encode("utf-8")), filename=name))

    @journal.command(name="stats", description=cmd("journal stats"))
    async def stats(self, interaction: discord.Interaction) -> None:
        from bot.discord_app.cogs.digest import send_personal_stats

        await guarded(interaction, "journal stats", lambda inter: send_personal_stats(self.bot, inter))

    @journal.command(name="delete", description=cmd("journal delete"))
    @app_commands.describe(id=opt("journal delete", "id"))
    async def delete(self, interaction: discord.Interaction, id: str) -> None:
        owner = owner_of(self.bot, interaction.user)
        target = id.strip()
        if target.lower() == "all":
            count = len(await core_journal.list_entries(self.store, owner))
            await reply(interaction, "journal_confirm_delete", all=True, count=count,
                        view=buttons(("delall", "x"), ("cancel", "x")))
            return
        entry = await core_journal.show(self.store, owner, target)
        if entry is None:
            await reply(interaction, "journal_not_found")
            return
        await reply(interaction, "journal_confirm_delete", all=False, entry_id=entry.id,
                    view=buttons(("del", entry.id), ("cancel", "x")))

    async def save_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Message context menu: save one of YOUR OWN messages (scrubbed, previewed, confirmed)."""
        if message.author.id != interaction.user.id:
            await reply(interaction, "not_your_message")
            return
        await self.preview(interaction, "save", message.content or "", None)

    # ------------------------------------------------------------------ preview / confirm
    async def preview(self, interaction: discord.Interaction, kind: str, raw: str, entry_id: str | None) -> None:
        if not raw.strip() or len(raw) > MODAL_TEXT_MAX * 2:
            await reply(interaction, "journal_too_long", editing=False, max_chars=MODAL_TEXT_MAX * 2)
            return
        result = scrub(raw)
        kinds: dict[str, int] = {}
        for r in result.redactions:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        token = secrets.token_urlsafe(12)
        self._expire()
        self.pending[token] = Pending(owner_of(self.bot, interaction.user), kind, result.text, entry_id,
                                      time.monotonic() + PENDING_TTL)
        await reply(interaction, "journal_preview", action=kind, text=result.text,
                    redactions=sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])), total=len(result.redactions),
                    view=buttons((f"confirm_{kind}", token), ("cancel", token)))

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, p in self.pending.items() if p.expires < now]:
            del self.pending[token]

    async def on_button(self, interaction: discord.Interaction, action: str, ref: str) -> None:
        owner = owner_of(self.bot, interaction.user)
        if action == "cancel":
            p = self.pending.get(ref)
            if p is not None and p.owner == owner:
                del self.pending[ref]
            await reply(interaction, "journal_done", action="cancel")
            return
        if action == "del":
            ok = await core_journal.delete_one(self.store, owner, ref)
            await reply(interaction, "journal_done" if ok else "journal_not_found", action="delete")
            return
        if action == "delall":
            await defer(interaction)
            before_erase = services(self.bot).extra.get("before_erase")
            if before_erase is not None:  # shared excerpts go too (their posts are deleted)
                await before_erase(owner)
            n = await core_journal.delete_all(self.store, owner)
            await reply(interaction, "journal_done", action="delete_all", count=n)
            return
        self._expire()
        p = self.pending.get(ref)
        if p is None or p.owner != owner:
            await reply(interaction, "journal_expired")
            return
        del self.pending[ref]
        if p.kind == "edit" and p.entry_id:
            ok = await core_journal.edit(self.store, owner, p.entry_id, p.text)
            await reply(interaction, "journal_done" if ok else "journal_not_found", action="edit")
        else:
            await self.store.save_entry(owner, None, NewEntry(text=p.text))
            await reply(interaction, "journal_done", action="save")


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(JournalButton)
    await bot.add_cog(JournalCog(bot))
