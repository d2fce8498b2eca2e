"""After a reflection saved in a server that has a weekly group thread, the author is offered, by
DM, to share one anonymised answer; nothing is posted unless they choose it and press Post."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.supervisor_support import sworld  # noqa: F401
from tests.test_discord_reflect import answer_via_modal, next_with_buttons, thread_of
from tests.test_supervisor_digest import weekly_thread

UTC = timezone.utc
COGS = ("bot.discord_app.cogs.schedules", "bot.discord_app.cogs.share", "bot.discord_app.cogs.reflect")
ANSWERS = ["She swings between rigid routines and chaotic weekends.", "I try to stay attuned when she goes quiet."]


async def test_saved_reflection_offers_sharing_by_dm(sworld):
    fake = sworld.fake
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with sworld.bot(cogs=COGS) as bot:
        group_thread = await weekly_thread(sworld, bot)
        await (await fake.slash(sworld.alice, "reflect", guild=sworld.guild, case="A.B.")).original()
        private = thread_of(fake, sworld.guild)
        msg = await next_with_buttons(fake, private)
        await (await fake.click(sworld.alice, msg, "Begin")).response()
        msg = await next_with_buttons(fake, private)
        for text in ANSWERS:
            await answer_via_modal(fake, sworld.alice, msg, text)
            msg = await next_with_buttons(fake, private)
        await (await fake.click(sworld.alice, msg, "Finish")).response()
        closing = await next_with_buttons(fake, private)
        await (await fake.click(sworld.alice, closing, "Save")).response()

        dm = fake.dm_channel(sworld.alice)
        offer = await fake.next_message(dm)
        assert "share one answer" in offer.content and offer.button_labels == ["Share an excerpt"]
        assert all("rigid routines" not in m.content for m in fake.bot_messages(group_thread))  # nothing yet

        pick = (await (await fake.click(sworld.alice, offer, "Share an excerpt")).response()).message
        preview = (await (await fake.select(sworld.alice, pick, "rsb:share-pick", ["q2"])).response()).message
        assert ANSWERS[1] in preview.content and ANSWERS[0] not in preview.content
        await (await fake.click(sworld.alice, preview, "Post it")).response()
        posted = [m for m in fake.bot_messages(group_thread) if ANSWERS[1] in m.content]
        assert len(posted) == 1 and "alice" not in posted[0].content
        assert all(ANSWERS[0] not in m.content for m in fake.bot_messages(group_thread))
