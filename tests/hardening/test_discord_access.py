"""Access and shared places through the fake Discord, with every cog loaded:

* non-supervisors using /schedule add|list|remove and /digest, with various options, are refused
  and nothing is posted or stored;
* nobody withdraws or posts another person's share, or presses another person's share, journal
  or flow buttons (custom ids taken from that person's message);
* private text never appears in a shared place: text channels, public (weekly group) threads and
  the supervisors' digest post (content, embeds and text attachments).
"""
from __future__ import annotations

from datetime import datetime, timezone

from bot.store import supervision as sup
from tests.discord_support import all_bot_payloads, assert_no_pings
from tests.fakediscord.state import GUILD_TEXT
from tests.hardening.conftest import private, private_id
from tests.supervisor_support import sworld  # noqa: F401
from tests.test_discord_reflect import answer_via_modal, next_with_buttons
from tests.test_supervisor_digest import SECRET, _save

UTC = timezone.utc
PUBLIC_THREAD, NEWS_THREAD, NEWS = 11, 10, 5
SHARED_TYPES = (GUILD_TEXT, NEWS, NEWS_THREAD, PUBLIC_THREAD)
REFUSED = "for supervisors"
PRIVATE_ANSWERS = [
    "PRIVATE-ECHO the client told me about her brother's arrest last spring.",
    "PRIVATE-FOXTROT I felt frozen and ashamed when she cried in the room.",
]


def _public_posts(fake) -> list:
    return [m for m in fake.messages.values() if m.channel_id in fake.channels and not m.flags & 64
            and fake.channels[m.channel_id].type in SHARED_TYPES]


def _body(m) -> str:
    parts = [m.content or ""] + [str(e) for e in (getattr(m, "embeds", None) or [])]
    for name, data in (getattr(m, "files", None) or {}).items():
        if not data.startswith(b"\x89PNG"):
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def assert_nothing_private_in_shared_places(fake, texts) -> int:
    """Scan every non-ephemeral bot message in text channels and public threads; returns how many."""
    posts = [m for m in _public_posts(fake) if m.author.id == fake.bot_user.id]
    for m in posts:
        body = _body(m)
        ch = fake.channels[m.channel_id]
        for t in texts:
            assert t[:25] not in body, f"private text in shared place #{ch.name} (type {ch.type})"
    return len(posts)


async def _weekly_thread(sworld, bot):
    inter = await sworld.fake.slash(sworld.supervisor, "schedule add", guild=sworld.guild, weekday=0, time="09:00",
                                    post_in=sworld.group, prompt="attunement")
    await inter.response()
    sworld.clock.set(datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
    await bot.get_cog("SchedulesCog").run_due(sworld.clock())
    return next(c for c in sworld.fake.channels.values() if c.parent_id == sworld.group.id)


async def test_non_supervisors_cannot_schedule_or_digest_whatever_the_options(sworld):
    fake = sworld.fake
    private_id(sworld.alice.id, sworld.guild.id)
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with sworld.bot() as bot:
        inter = await fake.slash(sworld.supervisor, "schedule add", guild=sworld.guild, weekday=0, time="09:00",
                                 post_in=sworld.group, prompt="attunement")
        await inter.response()
        store, g = bot.services.store, bot.services.keyring.pseudonym("guild", sworld.guild.id)
        real = (await sup.list_schedules(store, g))[0].id
        attempts = [
            ("schedule add", dict(weekday=0, time="09:00", post_in=sworld.group, prompt="attunement")),
            ("schedule add", dict(weekday=6, time="23:59", post_in=sworld.reflection, prompt="{{ 7*7 }}",
                                  timezone="Europe/London")),
            ("schedule add", dict(weekday=1, time="'; DROP TABLE schedules;--", post_in=sworld.group,
                                  prompt="@everyone", timezone="Not/AZone")),
            ("schedule list", {}),
            ("schedule remove", dict(schedule_id=real)),
            ("schedule remove", dict(schedule_id="' OR 1=1 --")),
            ("schedule remove", dict(schedule_id="*")),
            ("digest", {}),
            ("digest", dict(week="2026-W10")),
            ("digest", dict(week="{{ 7*7 }}")),
            ("digest", dict(week="1999-W99")),
        ]
        for who in (sworld.alice, sworld.bob):
            for where in (sworld.group, sworld.supervisors_channel, sworld.reflection):
                for name, options in attempts:
                    posts_before = len(_public_posts(fake))
                    inter = await fake.slash(who, name, guild=sworld.guild, channel=where, **options)
                    resp = await inter.response()
                    text = resp.content or ""
                    if resp.type == 5:
                        text = (await inter.original()).content
                    assert resp.ephemeral and REFUSED in text, (name, options, text[:200])
                    assert "49" not in text
                    assert len(_public_posts(fake)) == posts_before, f"{name} posted for a non-supervisor"
        schedules = await sup.list_schedules(store, g)
        assert [s.id for s in schedules] == [real], "a non-supervisor changed the schedules"
        assert fake.take_errors() == []
    assert_no_pings(fake)


async def test_nobody_touches_anothers_share_journal_or_flow_buttons(sworld):
    fake = sworld.fake
    private_id(sworld.alice.id, sworld.bob.id, sworld.guild.id)
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with sworld.bot() as bot:
        thread = await _weekly_thread(sworld, bot)
        store, keys = bot.services.store, bot.services.keyring
        alice, bob = keys.pseudonym("user", sworld.alice.id), keys.pseudonym("user", sworld.bob.id)
        await _save(bot, sworld.guild, sworld.alice, 1)
        await _save(bot, sworld.guild, sworld.bob, 2)

        # alice's share preview: bob presses its select and its Post button (ids from her message)
        pick = (await (await fake.slash(sworld.alice, "share last", guild=sworld.guild)).response()).message
        resp = await (await fake.select(sworld.bob, pick, "rsb:share-pick", ["q2"])).response()
        assert "thought 1" not in (resp.content or ""), "bob saw alice's excerpt through her select"
        assert resp.ephemeral and "someone else's share" in resp.content
        preview = (await (await fake.select(sworld.alice, pick, "rsb:share-pick", ["q2"])).response()).message
        before = len(fake.bot_messages(thread))
        resp = await (await fake.click(sworld.bob, preview, "Post it")).response()
        assert resp.ephemeral and "someone else's share" in resp.content
        assert len(fake.bot_messages(thread)) == before, "bob posted alice's excerpt"
        assert await sup.shares_of(store, None, bob) == []
        # alice posts it herself; bob cannot withdraw it
        await (await fake.click(sworld.alice, preview, "Post it")).response()
        post = next(m for m in fake.bot_messages(thread) if "calm shared thought 1" in m.content)
        inter = await fake.slash(sworld.bob, "share withdraw", guild=sworld.guild)
        await inter.response()
        assert not fake.messages[post.id].deleted
        assert len(await sup.shares_of(store, None, alice)) == 1

        # alice's journal delete button, pressed by bob
        eid = (await store.list_entries(alice))[0].id
        confirm = await (await fake.slash(sworld.alice, "journal delete", guild=sworld.guild, id=eid)).original()
        for label in confirm.button_labels:
            await (await fake.click(sworld.bob, confirm, label)).response()
        assert await store.get_entry(alice, eid) is not None

        # alice's reflection (DM): bob presses every button of her question message
        await (await fake.slash(sworld.alice, "reflect", guild=sworld.guild, where="dm")).original()
        dm = fake.dm_channel(sworld.alice)
        await (await fake.click(sworld.alice, await next_with_buttons(fake, dm), "Begin")).response()
        q = await next_with_buttons(fake, dm)
        session = await store.open_session_for(alice)
        for label in q.button_labels:
            resp = await (await fake.click(sworld.bob, q, label)).response()
            assert resp.type in (4, 9) and (resp.type == 9 or resp.ephemeral), label
        after = await store.open_session_for(alice)
        assert after.state == session.state, "bob's clicks changed alice's reflection"
        assert fake.take_errors() == []
    assert_no_pings(fake)


async def test_private_text_never_in_public_threads_or_the_digest_post(sworld):
    fake = sworld.fake
    private(*PRIVATE_ANSWERS)
    private_id(sworld.alice.id, sworld.bob.id, sworld.guild.id)
    sworld.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with sworld.bot() as bot:
        thread = await _weekly_thread(sworld, bot)
        assert fake.channels[thread.id].type == PUBLIC_THREAD
        # a full reflection by alice in a private thread, saved (digest facts recorded)
        await (await fake.slash(sworld.alice, "reflect", guild=sworld.guild, case="A.B.")).original()
        private_thread = next(c for c in fake.channels.values() if c.parent_id == sworld.reflection.id)
        await (await fake.click(sworld.alice, await next_with_buttons(fake, private_thread), "Begin")).response()
        for text in PRIVATE_ANSWERS:
            await answer_via_modal(fake, sworld.alice, await next_with_buttons(fake, private_thread), text)
        await (await fake.click(sworld.alice, await next_with_buttons(fake, private_thread), "Finish")).response()
        await (await fake.click(sworld.alice, await next_with_buttons(fake, private_thread), "Save")).response()
        # people also type in the public weekly thread; bob shares one answer, keeps the other private
        await fake.say(sworld.bob, thread, "I found this week's prompt useful.")
        await _save(bot, sworld.guild, sworld.bob, 2)
        await _save(bot, sworld.guild, sworld.supervisor, 3)
        pick = (await (await fake.slash(sworld.bob, "share last", guild=sworld.guild)).response()).message
        preview = (await (await fake.select(sworld.bob, pick, "rsb:share-pick", ["q2"])).response()).message
        await (await fake.click(sworld.bob, preview, "Post it")).response()
        # the supervisors' digest: on demand (ephemeral) and the weekly post in their channel
        await (await fake.slash(sworld.supervisor, "digest", guild=sworld.guild)).response()
        report = await bot.get_cog("SchedulesCog").run_due(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
        assert report.digests == ["2026-W10"]
        digest = [m for m in fake.bot_messages(sworld.supervisors_channel) if not m.ephemeral]
        assert digest and "calm shared thought 2" in "\n".join(_body(m) for m in digest)  # the shared one is there
        fake.take_errors()
    scanned = assert_nothing_private_in_shared_places(fake, PRIVATE_ANSWERS + [f"{SECRET} unshared words"])
    assert scanned >= 3  # the weekly prompt, the shared excerpt, the digest
    for m in all_bot_payloads(fake):
        if fake.channels.get(m.channel_id) is not None and fake.channels[m.channel_id].id == thread.id:
            assert SECRET not in _body(m)
    assert_no_pings(fake)


async def test_persistent_send_failure_tells_the_person_and_keeps_the_answer(sworld):
    """Discord keeps answering 503 to the bot's posts in the DM: the answer stays in the session
    and the person is told so, in the words of prompts/discord/send_failed.j2."""
    from bot.core.flow import State
    from bot.core.render import render

    fake = sworld.fake
    answer = "PRIVATE-GOLF an answer that must survive Discord failing every send."
    private(answer)
    private_id(sworld.alice.id, sworld.guild.id)
    async with sworld.bot() as bot:
        await (await fake.slash(sworld.alice, "reflect", guild=sworld.guild, where="dm")).original()
        dm = fake.dm_channel(sworld.alice)
        await (await fake.click(sworld.alice, await next_with_buttons(fake, dm), "Begin")).response()
        q = await next_with_buttons(fake, dm)
        fault = fake.inject_fault("POST", f"/channels/{dm.id}/messages", status=503, times=100)
        inter = await fake.click(sworld.alice, q, "Answer")
        await inter.response()
        comp = next(c for c in __import__("tests.fakediscord.state", fromlist=["x"]).iter_components(
            inter.modal["components"]) if c.get("type") == 4)
        sub = await fake.submit_modal(sworld.alice, inter, {comp["custom_id"]: answer})
        await sub.response()
        told = await sub.followup(timeout=10)
        assert fault.hits >= 1
        assert told.ephemeral and told.content == render("discord/send_failed.j2", target="discord")
        owner = bot.services.keyring.pseudonym("user", sworld.alice.id)
        state = State.from_dict((await bot.services.store.open_session_for(owner)).state)
        assert answer in state.answers.values()
        # once Discord recovers, /reflect carries on at the next question, the answer still there
        fault.times = fault.hits
        await (await fake.slash(sworld.alice, "reflect", guild=sworld.guild, where="dm")).original()
        nxt = await next_with_buttons(fake, dm)
        assert "Answer" in nxt.button_labels
        state = State.from_dict((await bot.services.store.open_session_for(owner)).state)
        assert list(state.answers.values()).count(answer) == 1
        fake.take_errors()
    assert_no_pings(fake)
