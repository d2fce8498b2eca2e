"""Weekly schedules end to end: DST-correct firing, one late catch-up after downtime, the
database claim against two runners, channels stored as pseudonyms, reminders."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from bot.config import Config
from bot.discord_app.cogs.schedules import SchedulesCog
from bot.services import build_services
from bot.store import open_store
from tests.discord_support import assert_no_pings
from tests.supervisor_support import sworld  # noqa: F401

UTC = timezone.utc
COGS = ("bot.discord_app.cogs.prompts", "bot.discord_app.cogs.schedules", "bot.discord_app.cogs.digest")


def posts(fake, channel):
    return [m for m in fake.bot_messages(channel) if not m.ephemeral]


async def add_monday_9(sworld, fake):
    inter = await fake.slash(sworld.supervisor, "schedule add", guild=sworld.guild, weekday=0, time="09:00",
                             timezone="America/New_York", post_in=sworld.group, prompt="chaos-rigidity")
    resp = await inter.response()
    assert resp.ephemeral and "Scheduled" in resp.content, resp.content
    return resp.content.split("(")[1].split(")")[0]


async def test_schedule_fires_at_right_utc_instant_across_dst(sworld):
    fake = sworld.fake
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))  # Monday, before 09:00 EST (14:00 UTC)
    async with sworld.bot(cogs=COGS) as bot:
        await add_monday_9(sworld, fake)
        runner = bot.get_cog("SchedulesCog")
        assert (await runner.run_due(datetime(2026, 3, 2, 13, 59, tzinfo=UTC))).posted == []
        assert len((await runner.run_due(datetime(2026, 3, 2, 14, 0, 30, tzinfo=UTC))).posted) == 1
        first = posts(fake, sworld.group)
        assert len(first) == 1 and "chaos versus rigidity" in first[0].text
        threads = [c for c in fake.channels.values() if c.parent_id == sworld.group.id]
        assert len(threads) == 1 and not threads[0].is_private_thread and "2026\\-W10" not in threads[0].name
        assert "2026-W10" in threads[0].name
        # the US clocks change on Sunday 8 March: Monday 9 March 09:00 EDT is 13:00 UTC
        assert (await runner.run_due(datetime(2026, 3, 9, 12, 59, tzinfo=UTC))).posted == []
        assert len((await runner.run_due(datetime(2026, 3, 9, 13, 0, tzinfo=UTC))).posted) == 1
        assert (await runner.run_due(datetime(2026, 3, 9, 13, 1, tzinfo=UTC))).posted == []
        assert len(posts(fake, sworld.group)) == 2
        inter = await fake.slash(sworld.supervisor, "schedule list", guild=sworld.guild)
        text = (await inter.response()).content
        assert "Monday 09:00 (America/New\\_York) in #group" in text
    assert_no_pings(fake)
    assert str(sworld.group.id).encode() not in sworld.db_bytes()


async def test_downtime_posts_one_late_catch_up_only(sworld):
    fake = sworld.fake
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with sworld.bot(cogs=COGS) as bot:
        await add_monday_9(sworld, fake)
        await bot.get_cog("SchedulesCog").run_due(datetime(2026, 3, 2, 14, 1, tzinfo=UTC))
    assert len(posts(fake, sworld.group)) == 1
    # down for three weeks (runs of 9, 16 and 23 March missed); back on Tuesday 24 March
    sworld.clock.set(datetime(2026, 3, 24, 10, 0, tzinfo=UTC))
    async with sworld.bot(cogs=COGS, sync=False) as bot:
        runner = bot.get_cog("SchedulesCog")
        assert len((await runner.run_due(sworld.clock())).posted) == 1
        assert (await runner.run_due(sworld.clock() + timedelta(minutes=1))).posted == []
    async with sworld.bot(cogs=COGS, sync=False) as bot:
        assert (await bot.get_cog("SchedulesCog").run_due(sworld.clock() + timedelta(minutes=2))).posted == []
    assert len(posts(fake, sworld.group)) == 2


class _OtherProcess:
    """A second runner with its own store connection to the same database file."""

    def __init__(self, bot, services):
        self._bot = bot
        self.services = services

    def __getattr__(self, name):
        return getattr(self._bot, name)


async def test_two_runners_one_post(sworld):
    fake = sworld.fake
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    cfg: Config = sworld.config()
    async with sworld.bot(cogs=COGS) as bot:
        await add_monday_9(sworld, fake)
        async with open_store(cfg.database_path, cfg.data_dir, key_file=cfg.key_file, clock=sworld.clock) as store2:
            other = SchedulesCog(_OtherProcess(bot, build_services(cfg, store2, clock=sworld.clock)))
            mine = bot.get_cog("SchedulesCog")
            now = datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)
            a, b = await asyncio.gather(mine.run_due(now), other.run_due(now))
            assert len(a.posted) + len(b.posted) == 1
            # and the claim itself: both processes see the run as due, only one INSERT wins
            from bot.store import supervision as sup

            sched = (await sup.list_schedules(store2))[0]
            run = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
            wins = await asyncio.gather(sup.claim_run(sworld.store, sched.id, run), sup.claim_run(store2, sched.id, run))
            assert sorted(wins) == [False, True]
    assert len(posts(fake, sworld.group)) == 1


async def test_schedule_refusals_and_remove(sworld):
    fake = sworld.fake
    async with sworld.bot(cogs=COGS):
        inter = await fake.slash(sworld.alice, "schedule add", guild=sworld.guild, weekday=0, time="09:00",
                                 post_in=sworld.group, prompt="chaos")
        assert "for supervisors" in (await inter.response()).content
        inter = await fake.slash(sworld.supervisor, "schedule add", guild=sworld.guild, weekday=0, time="9am-ish",
                                 post_in=sworld.group, prompt="chaos")
        assert "is not a time" in (await inter.response()).content
        inter = await fake.slash(sworld.supervisor, "schedule add", guild=sworld.guild, weekday=0, time="09:00",
                                 post_in=sworld.group, prompt="chaos", timezone="Mars/Base")
        assert "not a time zone" in (await inter.response()).content
        sid = await add_monday_9(sworld, fake)
        inter = await fake.slash(sworld.supervisor, "schedule remove", guild=sworld.guild, schedule_id=sid)
        assert "Removed" in (await inter.response()).content
        inter = await fake.slash(sworld.supervisor, "schedule list", guild=sworld.guild)
        assert "No weekly prompts" in (await inter.response()).content


async def test_reminder_dm_once_unless_reflected(sworld):
    fake = sworld.fake
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with sworld.bot(cogs=COGS) as bot:
        inter = await fake.slash(sworld.alice, "remind set", guild=sworld.guild, weekday=2, time="17:00",
                                 timezone="Europe/London")
        assert "gentle DM" in (await inter.response()).content
        runner = bot.get_cog("SchedulesCog")
        assert (await runner.run_due(datetime(2026, 3, 4, 16, 59, tzinfo=UTC))).reminded == 0
        assert (await runner.run_due(datetime(2026, 3, 4, 17, 0, tzinfo=UTC))).reminded == 1
        assert (await runner.run_due(datetime(2026, 3, 4, 17, 1, tzinfo=UTC))).reminded == 0
        dm = fake.bot_messages(fake.dm_channel(sworld.alice))
        assert len(dm) == 1 and "gentle reminder" in dm[0].content
        inter = await fake.slash(sworld.alice, "remind snooze", guild=sworld.guild, weeks=2)
        assert "paused until 2026-03-16" in (await inter.response()).content.replace("\\", "")
        assert (await runner.run_due(datetime(2026, 3, 11, 17, 0, tzinfo=UTC))).reminded == 0
        inter = await fake.slash(sworld.alice, "remind off", guild=sworld.guild)
        assert "off" in (await inter.response()).content
    blob = sworld.db_bytes()
    assert str(sworld.alice.id).encode() not in blob
