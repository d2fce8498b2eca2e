"""The guided reflection end to end: private thread, DM, modal path, save/discard, strangers,
DMs closed, a 429 on the way, a restart mid-reflection, mentions that go nowhere."""
from __future__ import annotations

from tests.discord_support import all_bot_payloads, assert_no_pings, shown, wait_until, world  # noqa: F401

COGS = ("bot.discord_app.cogs.setup", "bot.discord_app.cogs.reflect")

ANSWERS = [
    "A.B. feels overwhelmed and flooded in sessions, things fall apart quickly.",
    "I try to stay attuned and present with her.",
    "I may be overclaiming what the brain is doing.",
    "Her culture sees family closeness differently from mine.",
    "We also follow the evidence-based protocol for panic.",
    "I notice my own anxiety rising when she is stuck.",
]


def thread_of(fake, guild):
    return next(c for c in fake.channels.values() if c.guild_id == guild.id and c.is_private_thread)


async def answer_via_modal(fake, user, msg, text):
    inter = await fake.click(user, msg, "Answer")
    resp = await inter.response()
    assert resp.type == 9
    comp = next(c for c in _inputs(inter.modal))
    assert comp["style"] == 2 and comp["max_length"] == 4000
    sub = await fake.submit_modal(user, inter, {comp["custom_id"]: text})
    await sub.response()


def _inputs(modal):
    from tests.fakediscord.state import iter_components

    return [c for c in iter_components(modal["components"]) if c.get("type") == 4]


async def next_with_buttons(fake, where, timeout=5.0):
    while True:
        msg = await fake.next_message(where, timeout=timeout)
        if msg.buttons:
            return msg


async def run_to_closing(fake, user, where, answers):
    msg = await next_with_buttons(fake, where)
    assert "Begin" in msg.button_labels
    inter = await fake.click(user, msg, "Begin")
    await inter.response()
    for text in answers:
        msg = await next_with_buttons(fake, where)
        assert msg.button_labels == ["Answer", "Skip", "Back", "Pause", "Finish"], msg.button_labels
        await answer_via_modal(fake, user, msg, text)
    return await next_with_buttons(fake, where)


async def test_full_reflection_in_private_thread_modal_path_and_save(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        inter = await fake.slash(world.alice, "reflect", guild=world.guild, case="A.B.")
        first = await inter.original()
        assert first.ephemeral and "private thread" in first.content
        thread = thread_of(fake, world.guild)
        assert thread.member_ids >= {world.alice.id} and world.bob.id not in thread.member_ids
        closing = await run_to_closing(fake, world.alice, thread, ANSWERS)
        assert closing.button_labels == ["Save", "Discard", "Back"]
        texts = shown("\n".join(m.text for m in fake.bot_messages(thread)))
        assert "From the source" in texts and ("[6]" in texts or "[uncited]" in texts)  # cited passages
        assert "Anonymised preview" in texts
        inter = await fake.click(world.alice, closing, "Save")
        await inter.response()
        await wait_until(lambda: thread.id not in fake.channels, what="the thread deleted after saving")
        entries = await world.store.list_entries(world.current.services.keyring.pseudonym("user", world.alice.id))
        assert len(entries) == 1 and "overwhelmed" in entries[0].text
        # the supervision side got its non-identifying facts row (for the weekly digest)
        facts = await world.store._fetch("SELECT COUNT(*) FROM entry_facts", ())
        assert facts[0][0] == 1
    assert_no_pings(fake)


async def test_reflection_in_dm_typed_answers_and_discard(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        inter = await fake.slash(world.alice, "reflect", guild=world.guild, where="dm")
        msg = await inter.original()
        assert "direct messages" in msg.content
        dm = fake.dm_channel(world.alice)
        opening = await next_with_buttons(fake, dm)
        await (await fake.click(world.alice, opening, "Begin")).response()
        await next_with_buttons(fake, dm)
        for text in ANSWERS[:2]:
            await fake.say(world.alice, dm, text)
            await next_with_buttons(fake, dm)
        msg = await next_with_buttons(fake, dm) if False else fake.bot_messages(dm)[-1]
        await (await fake.click(world.alice, msg, "Finish")).response()
        closing = await next_with_buttons(fake, dm)
        assert "Discard" in closing.button_labels
        await (await fake.click(world.alice, closing, "Discard")).response()
        await fake.next_message(dm)
        owner = world.current.services.keyring.pseudonym("user", world.alice.id)
        assert await world.store.list_entries(owner) == []
    assert_no_pings(fake)


async def test_stranger_cannot_press_someone_elses_buttons(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        await (await fake.slash(world.alice, "reflect", guild=world.guild, where="dm")).original()
        dm = fake.dm_channel(world.alice)
        opening = await next_with_buttons(fake, dm)
        inter = await fake.click(world.bob, opening, "Begin")
        resp = await inter.response()
        assert resp.ephemeral and "someone else" in resp.content


async def test_dms_closed_falls_back_to_thread(world):
    fake = world.fake
    carol = fake.create_member(world.guild, "carol", dms_closed=True)
    async with world.bot(cogs=COGS):
        inter = await fake.slash(carol, "reflect", guild=world.guild, where="dm")
        msg = await inter.original()
        assert "direct messages are closed" in msg.content
        thread = thread_of(fake, world.guild)
        opening = await next_with_buttons(fake, thread)
        assert "Begin" in opening.button_labels
    fake.take_errors()


async def test_429_while_replying_is_retried(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        await (await fake.slash(world.alice, "reflect", guild=world.guild, where="dm")).original()
        dm = fake.dm_channel(world.alice)
        opening = await next_with_buttons(fake, dm)
        fake.inject_fault("POST", f"/channels/{dm.id}/messages", status=429, times=1, retry_after=0.05)
        await (await fake.click(world.alice, opening, "Begin")).response()
        question = await next_with_buttons(fake, dm)
        assert "Question 1 of 6" in question.text


async def test_restart_mid_reflection_old_buttons_still_work(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        await (await fake.slash(world.alice, "reflect", guild=world.guild, case="C.D.")).original()
        thread = thread_of(fake, world.guild)
        opening = await next_with_buttons(fake, thread)
        await (await fake.click(world.alice, opening, "Begin")).response()
        q1 = await next_with_buttons(fake, thread)
        await answer_via_modal(fake, world.alice, q1, ANSWERS[0])
        q2 = await next_with_buttons(fake, thread)
    async with world.bot(cogs=COGS, sync=False):  # a NEW ReflectBot on the same DB and fake
        await (await fake.click(world.alice, q2, "Skip")).response()
        q3 = await next_with_buttons(fake, thread)
        assert "Question 3 of 6" in q3.text


async def test_mentions_in_an_answer_go_nowhere(world):
    fake = world.fake
    role = fake.create_role(world.guild, "Everyone-ish")
    async with world.bot(cogs=COGS):
        await (await fake.slash(world.alice, "reflect", guild=world.guild)).original()
        thread = thread_of(fake, world.guild)
        opening = await next_with_buttons(fake, thread)
        await (await fake.click(world.alice, opening, "Begin")).response()
        q1 = await next_with_buttons(fake, thread)
        await answer_via_modal(fake, world.alice, q1, f"@everyone {role.mention} she is overwhelmed *bold*")
        await (await fake.click(world.alice, await next_with_buttons(fake, thread), "Finish")).response()
        closing = await next_with_buttons(fake, thread)
        for m in all_bot_payloads(fake):
            assert not m.mention_ids and not m.mention_role_ids
            assert "@everyone" not in m.text and f"<@&{role.id}>" not in m.text
        assert "@\u200beveryone" in closing.text or "everyone" not in closing.text
    assert_no_pings(fake)


async def test_typed_answers_in_thread_with_message_content_and_archive_after_save(world):
    fake = world.fake
    world.message_content = True
    world.after_save = "archive"
    async with world.bot():
        assert fake.gateway.identifies[-1]["intents"] & (1 << 15)
        await (await fake.slash(world.alice, "reflect", guild=world.guild, case="E.F.")).original()
        thread = thread_of(fake, world.guild)
        opening = await next_with_buttons(fake, thread)
        await (await fake.click(world.alice, opening, "Begin")).response()
        await next_with_buttons(fake, thread)
        await fake.say(world.alice, thread, ANSWERS[0])
        q2 = await next_with_buttons(fake, thread)
        assert "Question 2 of 6" in q2.text
        assert not fake.messages[opening.id].buttons  # old buttons are removed as the reflection moves on
        await (await fake.click(world.alice, q2, "Finish")).response()
        closing = await next_with_buttons(fake, thread)
        await (await fake.click(world.alice, closing, "Save")).response()
        await wait_until(lambda: fake.channels[thread.id].archived and fake.channels[thread.id].locked,
                         what="the thread archived and locked after saving")
        assert not [m for m in fake.bot_messages(world.reflection) if not m.ephemeral]  # nothing public


async def test_without_create_private_threads_the_person_is_told_why(world):
    from tests.fakediscord import permissions as P

    fake = world.fake
    fake.bot_role(world.guild).permissions &= ~P.CREATE_PRIVATE_THREADS
    world.guild.everyone.permissions &= ~P.CREATE_PRIVATE_THREADS
    async with world.bot(cogs=COGS):
        msg = await (await fake.slash(world.alice, "reflect", guild=world.guild, where="thread")).original()
        assert msg.ephemeral and "Create Private Threads" in msg.content
    fake.take_errors()
