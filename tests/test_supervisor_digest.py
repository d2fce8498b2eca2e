"""Digest, sharing and personal stats end to end: k=3 counts, a PNG chart attached, only shared
excerpts (an unshared distinctive phrase never appears), withdraw deletes the post."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.core.ports import NewEntry
from bot.discord_app.supervision import after_entry_saved
from tests.discord_support import assert_no_pings
from tests.supervisor_support import sworld  # noqa: F401

UTC = timezone.utc
COGS = ("bot.discord_app.cogs.prompts", "bot.discord_app.cogs.schedules", "bot.discord_app.cogs.digest",
        "bot.discord_app.cogs.journal",
        "bot.discord_app.cogs.share")
SECRET = "PURPLE ELEPHANT"
PNG = b"\x89PNG\r\n\x1a\n"


async def _save(bot, guild, member, n: int) -> str:
    store = bot.services.store
    owner = bot.services.keyring.pseudonym("user", member.id)
    entry = NewEntry(text=f"{SECRET} note {n}", answers={"q1": f"{SECRET} unshared words {n}",
                                                        "q2": f"A calm shared thought {n}"},
                     topics=["chaos", "attunement"] if n < 3 else ["trauma"], skipped=["q3"])
    entry_id = await store.save_entry(owner, None, entry)
    await after_entry_saved(bot, bot.get_guild(guild.id), member, entry_id, entry)
    return entry_id


async def weekly_thread(sworld, bot):
    """A Monday 09:00 (New York) schedule posts its prompt and opens this week's group thread."""
    fake = sworld.fake
    inter = await fake.slash(sworld.supervisor, "schedule add", guild=sworld.guild, weekday=0, time="09:00",
                             post_in=sworld.group, prompt="attunement")
    await inter.response()
    sworld.clock.set(datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
    await bot.get_cog("SchedulesCog").run_due(sworld.clock())
    return next(c for c in fake.channels.values() if c.parent_id == sworld.group.id)


async def test_digest_share_withdraw_and_stats(sworld):
    fake = sworld.fake
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with sworld.bot(cogs=COGS) as bot:
        runner = bot.get_cog("SchedulesCog")
        thread = await weekly_thread(sworld, bot)
        assert await bot.services.extra["is_group_thread"](bot.get_channel(thread.id))
        for i, who in enumerate((sworld.alice, sworld.bob, sworld.supervisor), start=1):
            await _save(bot, sworld.guild, who, i)

        # alice shares one answer: picks it, sees exactly what will be posted, confirms
        inter = await fake.slash(sworld.alice, "share last", guild=sworld.guild)
        pick = (await inter.response()).message
        assert "without your name" in pick.content
        inter = await fake.select(sworld.alice, pick, "rsb:share-pick", ["q2"])
        preview = (await inter.response()).message
        assert "A calm shared thought 1" in preview.content and SECRET not in preview.content
        inter = await fake.click(sworld.alice, preview, "Post it")
        assert "Shared" in (await inter.response()).content
        shared = [m for m in fake.bot_messages(thread) if "calm shared thought" in m.content]
        assert len(shared) == 1 and "alice" not in shared[0].content

        inter = await fake.slash(sworld.alice, "digest", guild=sworld.guild)
        assert "for supervisors" in (await inter.response()).content
        inter = await fake.slash(sworld.supervisor, "digest", guild=sworld.guild)
        await inter.response()
        msg = await inter.followup()
        assert msg.ephemeral
        assert "3 reflections from 3 people" in msg.content
        assert "A calm shared thought 1" in msg.content
        assert "thought 2" not in msg.content and SECRET not in msg.content
        assert "fewer than 3" in msg.content or "not named" in msg.content  # trauma: 1 person, not named
        assert "trauma" not in msg.content
        assert msg.files and next(iter(msg.files.values())).startswith(PNG)

        # the weekly digest goes to the supervisors' channel on Monday 08:00 group time, once
        report = await runner.run_due(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
        assert report.digests == ["2026-W10"]
        assert (await runner.run_due(datetime(2026, 3, 9, 12, 1, tzinfo=UTC))).digests == []
        weekly = [m for m in fake.bot_messages(sworld.supervisors_channel) if not m.ephemeral]
        assert len(weekly) == 1 and SECRET not in weekly[0].content
        assert next(iter(weekly[0].files.values())).startswith(PNG)

        # withdrawal deletes the post
        inter = await fake.slash(sworld.alice, "share withdraw", guild=sworld.guild)
        await inter.response()
        msg = await inter.followup()
        assert "Withdrawn" in msg.content
        assert fake.messages[shared[0].id].deleted

        # personal stats: own counts only, a chart, no comparison
        inter = await fake.slash(sworld.bob, "journal stats", guild=sworld.guild)
        await inter.response()
        msg = await inter.followup()
        assert msg.ephemeral and "only you" in msg.content
        assert next(iter(msg.files.values())).startswith(PNG)
    assert_no_pings(fake)
    assert SECRET.encode() not in sworld.db_bytes()


async def test_a_long_digest_is_split_not_cut(sworld):
    """Many shared excerpts make a digest longer than one message: every excerpt still arrives."""
    from bot.discord_app.cogs.digest import digest_message
    from bot.store import supervision as sup

    sworld.clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    async with sworld.bot(cogs=COGS) as bot:
        g = bot.services.keyring.pseudonym("guild", sworld.guild.id)
        for i, who in enumerate((sworld.alice, sworld.bob, sworld.supervisor), start=1):
            await _save(bot, sworld.guild, who, i)
        author = bot.services.keyring.pseudonym("user", sworld.alice.id)
        excerpts = [f"Shared excerpt number {n}: " + "I noticed how steady the room felt. " * 8 for n in range(12)]
        for n, text in enumerate(excerpts):
            await sup.add_share(bot.services.store, guild=g, week="2026-W10", author=author, entry_id=None,
                                excerpt=text, channel_id=1, message_id=1000 + n)
        parts, file = await digest_message(bot, bot.get_guild(sworld.guild.id), "2026-W10")
        assert len(parts) > 1 and all(len(p) <= 2000 for p in parts)
        joined = "\n".join(parts)
        for n in range(12):
            assert f"Shared excerpt number {n}:" in joined
        assert SECRET not in joined
