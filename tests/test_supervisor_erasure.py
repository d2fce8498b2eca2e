"""Erasing everything also takes back what the person shared and their digest facts."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.store import supervision as sup
from tests.supervisor_support import sworld  # noqa: F401
from tests.test_supervisor_digest import _save, weekly_thread

UTC = timezone.utc
COGS = ("bot.discord_app.cogs.schedules", "bot.discord_app.cogs.share", "bot.discord_app.cogs.journal")


async def test_delete_all_withdraws_shares_and_forgets_facts(sworld):
    fake = sworld.fake
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with sworld.bot(cogs=COGS) as bot:
        thread = await weekly_thread(sworld, bot)
        await _save(bot, sworld.guild, sworld.alice, 1)
        await _save(bot, sworld.guild, sworld.bob, 2)

        pick = (await (await fake.slash(sworld.alice, "share last", guild=sworld.guild)).response()).message
        preview = (await (await fake.select(sworld.alice, pick, "rsb:share-pick", ["q2"])).response()).message
        await (await fake.click(sworld.alice, preview, "Post it")).response()
        post = next(m for m in fake.bot_messages(thread) if "calm shared thought 1" in m.content)

        store = bot.services.store
        gp = bot.services.keyring.pseudonym("guild", sworld.guild.id)
        alice = bot.services.keyring.pseudonym("user", sworld.alice.id)
        assert len(await sup.facts_for(store, gp, "2026-W10")) == 2

        inter = await fake.slash(sworld.alice, "journal delete", guild=sworld.guild, id="all")
        confirm = (await inter.response()).message
        await (await fake.click(sworld.alice, confirm, "Delete everything")).original()

        assert fake.messages[post.id].deleted  # the shared excerpt's post is gone from the group thread
        facts = await sup.facts_for(store, gp, "2026-W10")
        assert len(facts) == 1  # bob's reflection still counts; alice's is forgotten
        assert await sup.shares_of(store, None, alice) == []
        assert await store.list_entries(alice) == []
