"""/digest [week] (supervisors, ephemeral), and the personal view behind /journal stats.

The digest is built only from non-identifying facts rows and excerpts their authors chose to
share; counts from fewer than 3 people are suppressed (core.digest, k=3). A PNG chart of
topics over the last weeks is attached. /mystats shows only the person's own counts.
"""
from __future__ import annotations

import io
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.charts import personal_stats, topics_over_weeks
from bot.core.digest import EntryFacts, build_digest, pack_labels, render_digest
from bot.core.schedule import week_key
from bot.core.split import MESSAGE, split_text
from bot.core.supervision import personal_series, previous_weeks, topic_series
from bot.discord_app.checks import require_supervisor
from bot.discord_app.common import services
from bot.discord_app.supervision import gp, guild_tz, label, say, up
from bot.discord_app.texts import cmd, opt
from bot.store import supervision as sup

CHART_WEEKS = 6
_WEEK = re.compile(r"^\d{4}-W\d{2}$")


async def _entries(client: discord.Client, g: str, week: str) -> list[EntryFacts]:
    rows = await sup.facts_for(services(client).store, g, week)
    return [EntryFacts(author=f.author, topics=f.topics, answered=f.answered, skipped=f.skipped) for f in rows]


async def digest_message(client: discord.Client, guild: discord.Guild, week: str) -> tuple[list[str], discord.File]:
    """The digest text, split to Discord's message limit (nothing cut), and its chart."""
    svc = services(client)
    tz = await guild_tz(client, guild)
    g = gp(client, guild)
    labels, questions, poles = pack_labels(svc.pack)
    entries = await _entries(client, g, week)
    excerpts = await sup.shared_excerpts(svc.store, g, week)
    # excerpts are only what authors shared; they come in as one anonymous bundle
    shown_excerpts = build_digest(week, [EntryFacts(author="-", shared_excerpts=excerpts)]).excerpts
    digest = build_digest(week, entries, poles)
    from dataclasses import replace

    digest = replace(digest, excerpts=shown_excerpts)
    text = render_digest(digest, labels, questions, target="discord", group=guild.name)
    series_weeks = {w: await _entries(client, g, w) for w in previous_weeks(week, tz, CHART_WEEKS)}
    png = topics_over_weeks(topic_series(series_weeks, labels, poles), label("chart_title"),
                            empty_text=label("chart_empty"), y_label=label("chart_y"))
    return split_text(text, MESSAGE) or [""], discord.File(io.BytesIO(png), filename=f"digest-{week}.png")


async def send_parts(send, parts: list[str], file: discord.File, **kw) -> None:
    """Every part in order, the chart attached to the last one."""
    for i, part in enumerate(parts):
        extra = {"file": file} if i == len(parts) - 1 else {}
        await send(content=part or None, **extra, **kw)


async def send_personal_stats(client: discord.Client, interaction: discord.Interaction) -> None:
    """A person's own reflections per week and topics over time: only their counts, no comparison."""
    svc = services(client)
    tz = await guild_tz(client, interaction.guild)
    await interaction.response.defer(ephemeral=True, thinking=True)
    labels = {t.id: t.label for t in svc.pack.topics}
    entries = await svc.store.list_entries(up(client, interaction.user))
    per_week, topics = personal_series([(e.created_at, e.topics) for e in entries if not e.unreadable], tz,
                                       labels, weeks=8, now=svc.clock())
    png = personal_stats(per_week, topics, title=label("stats_title"), reflections_label=label("stats_reflections"),
                         topics_label=label("stats_topics"), empty_text=label("stats_empty"))
    await say(interaction, "stats", total=sum(per_week.values()), weeks=len(per_week),
              file=discord.File(io.BytesIO(png), filename="my-reflections.png"))


class DigestCog(commands.Cog):
    def __init__(self, bot: commands.Bot):
        self.bot = bot

    @app_commands.command(name="digest", description=cmd("digest"))
    @app_commands.describe(week=opt("digest", "week"))
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def digest(self, interaction: discord.Interaction, week: str | None = None) -> None:
        if not await require_supervisor(interaction):
            return
        assert interaction.guild is not None
        tz = await guild_tz(self.bot, interaction.guild)
        key = (week or "").strip().upper() or week_key(services(self.bot).clock(), tz)
        if not _WEEK.match(key):
            await say(interaction, "digest_bad_week", value=week)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        parts, file = await digest_message(self.bot, interaction.guild, key)
        await send_parts(interaction.followup.send, parts, file, ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(DigestCog(bot))
