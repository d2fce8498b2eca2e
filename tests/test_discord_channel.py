"""Channel mode end to end: cited passages in the channel, words never echoed, identifier warning
sent privately, risk answered privately, the two buttons, and strangers."""
from __future__ import annotations

from tests.discord_support import all_bot_payloads, assert_no_pings, shown, world  # noqa: F401
from tests.fakediscord import permissions as P

COGS = None  # all of them


def owner(world, member):
    return world.current.services.keyring.pseudonym("user", member.id)


async def test_mention_answered_with_cited_passages_without_echo(world):
    fake = world.fake
    words = "my client is overwhelmed and chaotic, sessions feel like a meltdown zebra-quartz"
    async with world.bot(cogs=COGS) as bot:
        await fake.say(world.alice, world.reflection, f"<@{fake.bot_user.id}> {words}")
        msg = await fake.next_message(world.reflection)
        assert "[6]" in shown(msg.text)  # core-principles.14/15 cite the explainer [6]
        assert "chaos" in msg.text and "question to sit with" in msg.text
        for m in all_bot_payloads(fake):
            assert "zebra" not in m.text and "meltdown" not in m.text and "overwhelmed" not in m.text
        assert msg.button_labels == ["Reflect privately on this", "Save to my journal"]
        # a stranger can't use the author's buttons
        resp = await (await fake.click(world.bob, msg, "Save to my journal")).response()
        assert resp.ephemeral and "person who wrote" in resp.content
        # the author saves it: scrubbed preview (ephemeral) then confirm
        inter = await fake.click(world.alice, msg, "Save to my journal")
        preview = await inter.original()
        assert preview.ephemeral
        await (await fake.click(world.alice, preview, "Yes, save it")).response()
        assert len(await world.store.list_entries(owner(world, world.alice))) == 1
        # and reflects privately, seeded with the message (shown only in the private place)
        inter = await fake.click(world.alice, msg, "Reflect privately on this")
        started = await inter.original()
        assert started.ephemeral and "private thread" in started.content
        thread = next(c for c in fake.channels.values() if c.is_private_thread)
        opening = await fake.next_message(thread)
        assert "zebra" in opening.text  # the seed, privately
    assert_no_pings(fake)


async def test_identifying_message_warned_privately_and_deleted(world):
    fake = world.fake
    fake.bot_role(world.guild).permissions |= P.MANAGE_MESSAGES
    async with world.bot(cogs=COGS):
        msg = await fake.say(world.alice, world.reflection,
                             f"<@{fake.bot_user.id}> John Smith (07700 900123) seems stuck and rigid")
        public = await fake.next_message(world.reflection)
        assert "John" not in public.text and "07700" not in public.text
        warning = await fake.next_message(world.alice)  # her DM
        assert "identifying" in warning.text and "John" not in warning.text
        resp = await (await fake.click(world.alice, warning, "Delete my message")).response()
        assert "deleted" in resp.content
        assert fake.messages[msg.id].deleted or msg.id not in fake.channel_messages.get(world.reflection.id, [])


async def test_risk_is_answered_privately_not_in_public(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        await fake.say(world.alice, world.reflection,
                       f"<@{fake.bot_user.id}> she said she wants to kill herself and feels overwhelmed")
        dm = await fake.next_message(world.alice)
        assert "Samaritans" in dm.text and "From the source" not in dm.text
        assert not [m for m in fake.bot_messages(world.reflection)]


async def test_ignores_other_channels_and_unmentioned_messages(world):
    fake = world.fake
    general = fake.default_channel(world.guild)
    async with world.bot(cogs=COGS):
        await fake.say(world.alice, general, f"<@{fake.bot_user.id}> overwhelmed")
        await fake.say(world.alice, world.reflection, "overwhelmed, no mention")
        await fake.say(world.alice, world.reflection, f"<@{fake.bot_user.id}> rigid and stuck")
        msg = await fake.next_message(world.reflection)
        assert "rigid" in msg.text.lower()
        assert not fake.bot_messages(general)
        assert len(fake.bot_messages(world.reflection)) == 1


async def test_identifying_warning_with_dms_closed_comes_on_next_button_press(world):
    fake = world.fake
    carol = fake.create_member(world.guild, "carol", dms_closed=True)
    async with world.bot():
        await fake.say(carol, world.reflection, f"<@{fake.bot_user.id}> Jane Doe was rigid and stuck again")
        public = await fake.next_message(world.reflection)
        assert "Jane" not in public.text
        inter = await fake.click(carol, public, "Save to my journal")
        preview = await inter.original()
        assert "Jane" not in preview.content
        warning = await inter.followup(0)
        assert warning.ephemeral and "identifying" in warning.text and "Delete my message" in warning.button_labels
    fake.take_errors()
