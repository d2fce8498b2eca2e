"""Sharing an anonymised excerpt with the group (only on the author's say-so), and withdrawing it.

After saving, the author picks one answer (select menu), sees exactly what will be posted,
and confirms; it goes to the server's current weekly thread without their name. The excerpt
and the posted message's location are sealed with the author's data key; `/share withdraw`
deletes the post and the row.
"""
from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.schedule import week_key
from bot.discord_app.common import guarded, services
from bot.discord_app.supervision import ShareButton, current_group_thread, gp, guild_tz, label, say, up, words
from bot.discord_app.texts import cmd
from bot.store import supervision as sup

EXCERPT_MAX = 1000
VIEW_TIMEOUT = 600


def _excerpt(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= EXCERPT_MAX else text[:EXCERPT_MAX - 1].rstrip() + "…"


async def offer_share(interaction: discord.Interaction, entry_id: str | None,
                      guild: discord.Guild | None = None) -> None:
    """Step 1: pick which answer of the entry (the newest when entry_id is None) to share, with the
    group of `guild` (default: the server the interaction happened in)."""
    client = interaction.client
    svc = services(client)
    guild = guild or interaction.guild
    if guild is None:
        await say(interaction, "share_needs_server")
        return
    me = up(client, interaction.user)
    if entry_id is None:
        entries = await svc.store.list_entries(me)
        entry = entries[0] if entries else None
    else:
        entry = await svc.store.get_entry(me, entry_id)
    if entry is None or entry.unreadable or not any((a or "").strip() for a in entry.answers.values()):
        await say(interaction, "share_nothing")
        return
    if await current_group_thread(client, guild) is None:
        await say(interaction, "share_no_thread")
        return
    questions = {q.id: q for q in svc.pack.questions}
    options = []
    for qid, answer in entry.answers.items():
        if not (answer or "").strip():
            continue
        q = questions.get(qid)
        option_label = label("share_option", number=(svc.pack.questions.index(q) + 1) if q else qid)
        options.append(discord.SelectOption(label=option_label[:100], value=qid, description=answer.strip()[:100]))
    view = _PickView(interaction.user.id, guild, entry.id, entry.answers, options[:25])
    await say(interaction, "share_pick", view=view)


class _OwnedView(discord.ui.View):
    """Only the person who opened the share can use its menu and buttons (the views hold their
    answers): anyone else is told so and nothing is shown or posted."""

    def __init__(self, owner_id: int):
        super().__init__(timeout=VIEW_TIMEOUT)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await say(interaction, "share_not_yours")
        return False


class _PickView(_OwnedView):
    def __init__(self, owner_id: int, guild: discord.Guild, entry_id: str, answers: dict[str, str],
                 options: list[discord.SelectOption]):
        super().__init__(owner_id)
        self.guild = guild
        self.entry_id = entry_id
        self.answers = answers
        select = discord.ui.Select(custom_id="rsb:share-pick", placeholder=label("share_placeholder")[:150],
                                   options=options, min_values=1, max_values=1)
        select.callback = self._picked
        self.add_item(select)

    async def _picked(self, interaction: discord.Interaction) -> None:
        async def run(inter: discord.Interaction) -> None:
            qid = (inter.data or {}).get("values", [None])[0]
            excerpt = _excerpt(self.answers.get(qid, ""))
            await say(inter, "share_preview", excerpt=excerpt,
                      view=_ConfirmView(self.owner_id, self.guild, self.entry_id, excerpt))
        await guarded(interaction, "share-pick", run)


class _ConfirmView(_OwnedView):
    def __init__(self, owner_id: int, guild: discord.Guild, entry_id: str, excerpt: str):
        super().__init__(owner_id)
        self.guild = guild
        self.entry_id = entry_id
        self.excerpt = excerpt
        post = discord.ui.Button(label=label("share_confirm_button"), style=discord.ButtonStyle.primary,
                                 custom_id="rsb:share-post")
        cancel = discord.ui.Button(label=label("share_cancel_button"), style=discord.ButtonStyle.secondary,
                                   custom_id="rsb:share-cancel")
        post.callback = self._post
        cancel.callback = self._cancel
        self.add_item(post)
        self.add_item(cancel)

    async def _cancel(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, "share-cancel", lambda inter: say(inter, "share_cancelled"))

    async def _post(self, interaction: discord.Interaction) -> None:
        async def run(inter: discord.Interaction) -> None:
            client = inter.client
            svc = services(client)
            found = await current_group_thread(client, self.guild)
            if found is None:
                await say(inter, "share_no_thread")
                return
            _, thread = found
            msg = await thread.send(words("share_post", excerpt=self.excerpt))
            tz = await guild_tz(client, self.guild)
            await sup.add_share(svc.store, guild=gp(client, self.guild), week=week_key(svc.clock(), tz),
                                author=up(client, inter.user), entry_id=self.entry_id, excerpt=self.excerpt,
                                channel_id=thread.id, message_id=msg.id)
            self.stop()
            await say(inter, "share_done", where=thread.name)
        await guarded(interaction, "share-post", run)


async def withdraw_shares(bot: commands.Bot, author: str, shares: list | None = None) -> int:
    """Delete the posts of a person's shares (all servers unless given) and their rows.

    Used by `/share withdraw` and before erasing everything, so nothing the person shared
    outlives their journal. A post that cannot be deleted now keeps its row for a retry.
    """
    store = services(bot).store
    mine = shares if shares is not None else await sup.shares_of(store, None, author)
    removed = 0
    for s in mine:
        try:
            channel = bot.get_channel(s.channel_id) or await bot.fetch_channel(s.channel_id)
            await channel.get_partial_message(s.message_id).delete()  # type: ignore[union-attr]
        except discord.NotFound:
            pass  # already gone
        except discord.HTTPException:
            continue  # keep the row so it can be withdrawn again
        await sup.delete_share(store, author, s.id)
        removed += 1
    return removed


class ShareCog(commands.Cog):
    share = app_commands.Group(name="share", description=cmd("share"), guild_only=True)

    def __init__(self, bot: commands.Bot):
        self.bot = bot

    @share.command(name="last", description=cmd("share last"))
    async def last(self, interaction: discord.Interaction) -> None:
        await offer_share(interaction, None)

    @share.command(name="withdraw", description=cmd("share withdraw"))
    async def withdraw(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        mine = await sup.shares_of(services(self.bot).store, gp(self.bot, interaction.guild), up(self.bot, interaction.user))
        if not mine:
            await say(interaction, "share_none")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await withdraw_shares(self.bot, up(self.bot, interaction.user), mine)
        await say(interaction, "share_withdrawn", count=removed, total=len(mine))


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(ShareButton)
    services(bot).extra["before_erase"] = lambda author: withdraw_shares(bot, author)
    await bot.add_cog(ShareCog(bot))
