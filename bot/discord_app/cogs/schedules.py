"""/schedule add|list|remove (supervisors), /remind set|snooze|off (anyone), and the runner.

The runner checks the database every minute (`services.clock`, so tests control time; tests
call `run_due(now)` directly). A missed run is posted once, late (core.schedule.due_run over the
stored last_run); a run is posted only by the process whose claim INSERT succeeded, so two bot
processes on one database never double-post. Each run posts the prompt and opens that week's
public discussion thread on it. Channels are stored as keyed pseudonyms and found again by
scanning the server's text channels.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.schedule import (ReminderPref, WeeklySchedule, due_run, is_known_zone, previous_run, reminder_due, week_bounds,
                               week_key, zone)
from bot.core.supervision import WEEKDAYS, parse_time
from bot.core.templates import TemplateRejected
from bot.discord_app.checks import require_supervisor
from bot.discord_app.common import guild_place, services
from bot.discord_app.supervision import (
    channel_pseudonym, find_channel, gp, guild_tz, post_prompt, resolve_prompt, label, say, up, words,
)
from bot.discord_app.texts import choices, cmd, opt
from bot.store import supervision as sup

log = logging.getLogger("bot.discord_app.schedules")

TICK_SECONDS = 60
RETENTION_EVERY = timedelta(hours=1)
DIGEST_AT = time(8, 0)  # the weekly digest of last week goes out on Monday 08:00, group time


def weekday_choices(path: str) -> list[app_commands.Choice[int]]:
    """The weekday option's choices: labels from commands.yaml, values the index into WEEKDAYS."""
    names = choices(path, "weekday")
    if len(names) != len(WEEKDAYS):
        raise ValueError(f"commands.yaml: {path!r} needs {len(WEEKDAYS)} weekday labels, has {len(names)}")
    return [app_commands.Choice(name=n, value=i) for i, n in enumerate(names)]


@dataclass
class RunReport:
    """What one `run_due` did (for tests and logs)."""

    posted: list[str] = field(default_factory=list)  # schedule ids posted
    skipped_claimed: list[str] = field(default_factory=list)  # claimed by another runner
    digests: list[str] = field(default_factory=list)  # week keys posted
    reminded: int = 0
    purged: int = 0  # journal entries removed by retention


class SchedulesCog(commands.Cog):
    schedule = app_commands.Group(name="schedule", description=cmd("schedule"), guild_only=True,
                                  default_permissions=discord.Permissions(manage_guild=True))
    remind = app_commands.Group(name="remind", description=cmd("remind"), guild_only=True)

    def __init__(self, bot: commands.Bot):
        self.bot = bot
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        self._retained_at: datetime | None = None  # when retention last ran

    async def cog_load(self) -> None:
        if services(self.bot).extra.get("supervision_loop", True):
            self._task = asyncio.create_task(self._loop(), name="supervision-runner")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _loop(self) -> None:
        await self.bot.wait_until_ready()
        while not self.bot.is_closed():
            try:
                await self.run_due(services(self.bot).clock())
            except Exception as exc:  # noqa: BLE001 - the loop must survive one bad tick
                log.error("supervision tick failed: %s", type(exc).__name__)
            await asyncio.sleep(TICK_SECONDS)

    # ------------------------------------------------------------------ the runner
    async def run_due(self, now: datetime) -> RunReport:
        """Post every due schedule run, the weekly digest and reminders, as of `now`."""
        report = RunReport()
        async with self._lock:
            guilds = {gp(self.bot, g): g for g in self.bot.guilds}
            for s in await sup.list_schedules(services(self.bot).store):
                guild = guilds.get(s.guild)
                if guild is not None:
                    await self._run_schedule(guild, s, now, report)
            for g in guilds.values():
                await self._weekly_digest(g, now, report)
                await self._reminders(g, now, report)
            await self._retention(guilds.values(), now, report)
        return report

    async def _retention(self, guilds, now: datetime, report: RunReport) -> None:
        """Retention, at most once an hour: entries older than the default `retention_days`, and a
        server's own reflections older than its `retention_days` (the shorter one wins)."""
        if self._retained_at is not None and now - self._retained_at < RETENTION_EVERY:
            return
        self._retained_at = now
        svc = services(self.bot)
        if svc.config.defaults.retention_days > 0:
            report.purged += await svc.store.purge_older_than(svc.config.defaults.retention_days, now)
        for g in guilds:
            days = svc.config.guild(g.id).retention_days
            if days > 0:
                report.purged += await sup.purge_guild_older_than(svc.store, gp(self.bot, g), days, now)

    async def _run_schedule(self, guild: discord.Guild, s: sup.Schedule, now: datetime, report: RunReport) -> None:
        store = services(self.bot).store
        run = due_run(WeeklySchedule(s.weekday, s.at, s.tz), s.last_run, now)
        if run is None:
            return
        if not await sup.claim_run(store, s.id, run):
            report.skipped_claimed.append(s.id)
            return
        channel = find_channel(self.bot, guild, s.channel)
        if channel is None:
            log.warning("schedule %s: its channel is gone; run skipped", s.id)
            return
        try:
            title, text = await resolve_prompt(self.bot, guild, s.prompt, None, channel.name, now)
        except (TemplateRejected, LookupError):
            log.warning("schedule %s: its prompt can no longer be used; run skipped", s.id)
            return
        week = week_key(run, s.tz)
        try:
            msg = await post_prompt(self.bot, channel, guild, title, text)
        except discord.HTTPException as exc:
            log.warning("schedule %s: could not post (%s); will retry", s.id, type(exc).__name__)
            await sup.release_run(store, s.id, run, s.last_run)
            return
        report.posted.append(s.id)
        try:
            thread = await msg.create_thread(name=label("week_thread_name", week=week, title=title)[:100])
        except discord.HTTPException as exc:
            log.warning("schedule %s: posted, but no thread (%s)", s.id, type(exc).__name__)
            return
        await sup.add_group_thread(store, gp(self.bot, guild), week, services(self.bot).keyring.pseudonym("thread", thread.id))

    async def _weekly_digest(self, guild: discord.Guild, now: datetime, report: RunReport) -> None:
        svc = services(self.bot)
        channel = (await guild_place(self.bot, guild)).supervisors_channel  # /setup, else config.yaml
        if channel is None:
            return
        tz = await guild_tz(self.bot, guild)
        monday = previous_run(WeeklySchedule(0, DIGEST_AT, tz), now)
        week = week_key(monday - timedelta(days=1), tz)
        g = gp(self.bot, guild)
        if not await sup.facts_for(svc.store, g, week):
            return  # nothing to report (and no empty digest after a fresh install)
        if not await sup.claim_digest(svc.store, g, week):
            return
        from bot.discord_app.cogs.digest import digest_message, send_parts

        parts, file = await digest_message(self.bot, guild, week)
        await send_parts(channel.send, parts, file)
        report.digests.append(week)

    async def _reminders(self, guild: discord.Guild, now: datetime, report: RunReport) -> None:
        store = services(self.bot).store
        g = gp(self.bot, guild)
        for r in await sup.reminders(store, g):
            if r.user_id is None:
                continue
            pref = ReminderPref(r.weekday, r.at, r.tz, r.snoozed_until)
            week = week_key(now, r.tz)
            start, _ = week_bounds(week, r.tz)
            reflected = await sup.has_facts(store, g, week, r.member) or bool(
                await store.list_entries(r.member, since=start))
            if not reminder_due(pref, r.last_reminded, now, reflected):
                continue
            if not await sup.mark_reminded(store, g, r.member, now, r.last_reminded):
                continue
            try:
                user = self.bot.get_user(r.user_id) or await self.bot.fetch_user(r.user_id)
                await user.send(words("reminder_dm", server=guild.name))
                report.reminded += 1
            except discord.HTTPException:
                log.info("a reminder DM could not be delivered (DMs closed?)")

    async def _time_and_zone(self, interaction: discord.Interaction, value: str,
                             timezone: str | None) -> tuple[time, str] | None:
        """The `time` and `timezone` options of /schedule add and /remind set: (time of day, zone name),
        the zone defaulting to the server's; None once the user has been told which one is not valid."""
        assert interaction.guild is not None
        at = parse_time(value)
        if at is None:
            await say(interaction, "schedule_bad_time", value=value)
            return None
        tz = (timezone or "").strip() or await guild_tz(self.bot, interaction.guild)
        if not is_known_zone(tz):
            await say(interaction, "schedule_bad_timezone", value=tz)
            return None
        return at, tz

    # ------------------------------------------------------------------ /schedule
    @schedule.command(name="add", description=cmd("schedule add"))
    @app_commands.describe(weekday=opt("schedule add", "weekday"), time=opt("schedule add", "time"),
                           timezone=opt("schedule add", "timezone"), post_in=opt("schedule add", "post_in"),
                           prompt=opt("schedule add", "prompt"))
    @app_commands.choices(weekday=weekday_choices("schedule add"))
    async def add(self, interaction: discord.Interaction, weekday: app_commands.Choice[int], time: str,
                  post_in: discord.TextChannel, prompt: str, timezone: str | None = None) -> None:
        if not await require_supervisor(interaction):
            return
        channel = post_in
        assert interaction.guild is not None
        when = await self._time_and_zone(interaction, time, timezone)
        if when is None:
            return
        at, tz = when
        svc = services(self.bot)
        try:
            await resolve_prompt(self.bot, interaction.guild, prompt, None, channel.name, svc.clock())
        except TemplateRejected as exc:
            await say(interaction, "template_rejected", problems=exc.problems)
            return
        except LookupError:
            await say(interaction, "prompt_unknown", label=prompt)
            return
        s = await sup.add_schedule(svc.store, gp(self.bot, interaction.guild), channel_pseudonym(self.bot, channel),
                                   weekday.value, at, tz, prompt.strip().lower())
        from bot.core.schedule import next_run
        nxt = next_run(WeeklySchedule(s.weekday, s.at, s.tz), svc.clock())
        await say(interaction, "schedule_added", id=s.id, day=weekday.name, at=at.strftime("%H:%M"), tz=tz,
                  channel=channel.name, prompt=s.prompt, next=int(nxt.timestamp()))

    @schedule.command(name="list", description=cmd("schedule list"))
    async def list_(self, interaction: discord.Interaction) -> None:
        if not await require_supervisor(interaction):
            return
        assert interaction.guild is not None
        rows = []
        for s in await sup.list_schedules(services(self.bot).store, gp(self.bot, interaction.guild)):
            ch = find_channel(self.bot, interaction.guild, s.channel)
            rows.append({"id": s.id, "day": WEEKDAYS[s.weekday].capitalize(), "at": s.at.strftime("%H:%M"),
                         "tz": s.tz, "channel": ch.name if ch else None, "prompt": s.prompt})
        await say(interaction, "schedule_list", schedules=rows)

    @schedule.command(name="remove", description=cmd("schedule remove"))
    @app_commands.describe(schedule_id=opt("schedule remove", "schedule_id"))
    async def remove(self, interaction: discord.Interaction, schedule_id: str) -> None:
        if not await require_supervisor(interaction):
            return
        assert interaction.guild is not None
        done = await sup.remove_schedule(services(self.bot).store, gp(self.bot, interaction.guild), schedule_id.strip())
        await say(interaction, "schedule_removed" if done else "schedule_unknown", id=schedule_id)

    # ------------------------------------------------------------------ /remind
    @remind.command(name="set", description=cmd("remind set"))
    @app_commands.describe(weekday=opt("remind set", "weekday"), time=opt("remind set", "time"),
                           timezone=opt("remind set", "timezone"))
    @app_commands.choices(weekday=weekday_choices("remind set"))
    async def remind_set(self, interaction: discord.Interaction, weekday: app_commands.Choice[int], time: str,
                         timezone: str | None = None) -> None:
        assert interaction.guild is not None
        when = await self._time_and_zone(interaction, time, timezone)
        if when is None:
            return
        at, tz = when
        await sup.set_reminder(services(self.bot).store, gp(self.bot, interaction.guild), up(self.bot, interaction.user),
                               interaction.user.id, weekday.value, at, tz)
        await say(interaction, "remind_set", day=weekday.name, at=at.strftime("%H:%M"), tz=tz)

    @remind.command(name="snooze", description=cmd("remind snooze"))
    @app_commands.describe(weeks=opt("remind snooze", "weeks"))
    async def remind_snooze(self, interaction: discord.Interaction, weeks: app_commands.Range[int, 1, 12]) -> None:
        assert interaction.guild is not None
        svc = services(self.bot)
        g, me = gp(self.bot, interaction.guild), up(self.bot, interaction.user)
        mine = [r for r in await sup.reminders(svc.store, g) if r.member == me]
        if not mine:
            await say(interaction, "remind_none")
            return
        local = svc.clock().astimezone(zone(mine[0].tz)).date()
        until = local - timedelta(days=local.weekday()) + timedelta(days=7 * weeks)
        await sup.snooze_reminder(svc.store, g, me, until)
        await say(interaction, "remind_snoozed", until=until.isoformat())

    @remind.command(name="off", description=cmd("remind off"))
    async def remind_off(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        done = await sup.remove_reminder(services(self.bot).store, gp(self.bot, interaction.guild),
                                         up(self.bot, interaction.user))
        await say(interaction, "remind_off" if done else "remind_none")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(SchedulesCog(bot))
