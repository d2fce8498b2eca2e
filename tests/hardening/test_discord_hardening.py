"""Through the fake Discord: supervisor commands refused to non-supervisors whatever their
options, nobody reaches another person's entries by id, private text never lands in a shared
channel, a dropped gateway and 429/5xx mid-reflection lose nothing, and a burst of concurrent
supervisees with faults keeps every answer exactly once."""
from __future__ import annotations

import asyncio

from bot.core.flow import State
from tests.discord_support import all_bot_payloads, assert_no_pings, world  # noqa: F401
from tests.fakediscord.state import GUILD_TEXT
from tests.hardening.conftest import private, private_id
from tests.test_discord_reflect import answer_via_modal, next_with_buttons, thread_of

SECRET_ANSWERS = [
    "PRIVATE-ALPHA the client described a frightening night at home with her partner.",
    "PRIVATE-BRAVO I noticed my own anxiety rising and wanted to rescue her quickly.",
    "PRIVATE-CHARLIE we spoke about her grandmother's traditions and my assumptions.",
]


def _register(w) -> None:
    private(*SECRET_ANSWERS)
    private_id(w.alice.id, w.bob.id, w.admin.id, w.guild.id, w.reflection.id)


def _owner(w, member) -> str:
    return w.current.services.keyring.pseudonym("user", member.id)


def assert_nothing_private_in_shared_channels(fake, texts) -> None:
    for m in all_bot_payloads(fake):
        ch = fake.channels.get(m.channel_id)
        if ch is None or ch.type != GUILD_TEXT or m.flags & 64:  # ephemeral: only its author sees it
            continue
        body = m.content + " ".join(str(e) for e in (getattr(m, "embeds", None) or []))
        for t in texts:
            assert t[:25] not in body, f"private text in shared channel #{ch.name}"


async def test_supervisor_commands_refused_whatever_the_options(world):
    _register(world)
    fake = world.fake
    async with world.bot():
        attempts = [
            ("setup", {"timezone": "Europe/London"}),
            ("setup", {"crisis_resources": "@everyone call me", "timezone": "America"}),
            ("setup", {"reflection_channel": world.reflection}),
            ("prompt post", {"text": "{{ 7*7 }} @everyone"}),
            ("prompt post", {"prompt": "weekly", "channel": world.reflection}),
            ("prompt save", {"template": "evil", "text": "{{ ''.__class__.__mro__ }}"}),
            ("prompt delete", {"template": "weekly"}),
        ]
        for name, options in attempts:
            before = len([m for m in fake.messages.values() if m.channel_id == world.reflection.id and not m.flags & 64])
            try:
                inter = await fake.slash(world.alice, name, guild=world.guild, **options)
            except Exception as exc:  # noqa: BLE001 - an unknown option/command is also a refusal
                assert "option" in str(exc).lower() or "command" in str(exc).lower(), (name, exc)
                continue
            resp = await inter.response()
            assert resp.ephemeral, (name, options)
            content = (resp.content or "") + "".join(f.content for f in inter.followups)
            if not content:
                content = (await inter.original()).content
            assert "can't" in content or "only" in content.lower() or "supervisor" in content.lower(), (name, content)
            assert "49" not in content
            after = len([m for m in fake.messages.values() if m.channel_id == world.reflection.id and not m.flags & 64])
            assert after == before, f"{name} posted in the shared channel for a non-supervisor"
        fake.take_errors()
    assert_no_pings(fake)


async def test_nobody_reads_exports_or_deletes_anothers_entry_by_id(world):
    _register(world)
    fake = world.fake
    async with world.bot():
        store = world.store
        alice = _owner(world, world.alice)
        from bot.core.ports import NewEntry

        eid = await store.save_entry(alice, None, NewEntry(text=SECRET_ANSWERS[0], answers={"q1": SECRET_ANSWERS[0]}))
        bob = _owner(world, world.bob)
        # store level
        assert await store.get_entry(bob, eid) is None
        assert await store.edit_entry(bob, eid, "overwritten") is False
        assert await store.delete_entry(bob, eid) is False
        assert await store.list_entries(bob) == []
        assert await store.delete_all(bob) == 0
        # through the Discord commands, with alice's real id and guessed ones
        for command, options in (("journal show", {"id": eid}), ("journal delete", {"id": eid}),
                                 ("journal show", {"id": "' OR 1=1 --"}), ("journal export", {"format": "json"}),
                                 ("journal list", {}), ("journal delete", {"id": "all"})):
            try:
                inter = await fake.slash(world.bob, command, guild=world.guild, **options)
            except Exception:  # noqa: BLE001 - option shape differs: nothing to exploit
                continue
            resp = await inter.response()
            await asyncio.sleep(0.2)
            texts = [resp.content or ""] + [f.content for f in inter.followups]
            for m in fake.messages.values():
                if m.author.id == fake.bot_user.id:
                    texts.append(m.content)
                    for a in getattr(m, "attachments", []) or []:
                        texts.append(str(a))
            assert not any(SECRET_ANSWERS[0][:25] in t for t in texts), command
            if command == "journal delete" and options.get("id") == "all":
                # a confirmation may be asked; press whatever confirms, then check alice's entry survived
                for m in list(fake.messages.values()):
                    for label in ("Delete everything", "Delete", "Yes", "Confirm"):
                        if m.author.id == fake.bot_user.id and label in (m.button_labels or []):
                            try:
                                await (await fake.click(world.bob, m, label)).response()
                            except Exception:  # noqa: BLE001
                                pass
        await asyncio.sleep(0.5)  # let a confirmed deletion finish before the bot shuts down
        got = await store.get_entry(alice, eid)
        assert got is not None and got.text == SECRET_ANSWERS[0]
        fake.take_errors()


async def test_private_reflection_text_never_reaches_a_shared_channel(world):
    _register(world)
    fake = world.fake
    async with world.bot():
        await (await fake.slash(world.alice, "reflect", guild=world.guild, case="A.B.")).original()
        thread = thread_of(fake, world.guild)
        opening = await next_with_buttons(fake, thread)
        await (await fake.click(world.alice, opening, "Begin")).response()
        for text in SECRET_ANSWERS:
            q = await next_with_buttons(fake, thread)
            await answer_via_modal(fake, world.alice, q, text)
        await (await fake.slash(world.bob, "reflect", guild=world.guild, where="dm")).original()
        dm = fake.dm_channel(world.bob)
        await (await fake.click(world.bob, await next_with_buttons(fake, dm), "Begin")).response()
        await next_with_buttons(fake, dm)
        await fake.say(world.bob, dm, SECRET_ANSWERS[2] + " (bob)")
        await next_with_buttons(fake, dm)
        fake.take_errors()
    assert_nothing_private_in_shared_channels(fake, SECRET_ANSWERS)


async def test_gateway_drop_and_http_faults_mid_reflection_lose_nothing(world):
    _register(world)
    fake = world.fake
    async with world.bot():
        await (await fake.slash(world.alice, "reflect", guild=world.guild, where="dm")).original()
        dm = fake.dm_channel(world.alice)
        await (await fake.click(world.alice, await next_with_buttons(fake, dm), "Begin")).response()
        q1 = await next_with_buttons(fake, dm)
        await fake.drop_connection()
        await fake.wait_resumed(timeout=15)
        await answer_via_modal(fake, world.alice, q1, SECRET_ANSWERS[0])
        q2 = await next_with_buttons(fake, dm)
        # 429 with the server's delay, then a 502: both retried
        fake.inject_fault("POST", f"/channels/{dm.id}/messages", status=429, times=2, retry_after=0.2)
        await answer_via_modal(fake, world.alice, q2, SECRET_ANSWERS[1])
        q3 = await next_with_buttons(fake, dm, timeout=10)
        fake.inject_fault("POST", f"/channels/{dm.id}/messages", status=502, times=1)
        await answer_via_modal(fake, world.alice, q3, SECRET_ANSWERS[2])
        await next_with_buttons(fake, dm, timeout=15)
        session = await world.store.open_session_for(_owner(world, world.alice))
        answers = State.from_dict(session.state).answers
        assert [answers.get(q) for q in ("q1", "q2", "q3")] == SECRET_ANSWERS
        # sending keeps failing: the answer is still kept in the session
        fake.inject_fault("POST", f"/channels/{dm.id}/messages", status=500, times=50)
        q4 = fake.bot_messages(dm)[-1]
        try:
            await answer_via_modal(fake, world.alice, q4, "PRIVATE-DELTA the fourth answer survives send failures.")
        except Exception:  # noqa: BLE001 - the interaction reply itself may time out
            pass
        await asyncio.sleep(0.5)
        session = await world.store.open_session_for(_owner(world, world.alice))
        assert "PRIVATE-DELTA" in (State.from_dict(session.state).answers.get("q4") or "")
        fake.take_errors()


async def test_many_supervisees_at_once_with_faults_every_answer_once(world):
    """A burst of concurrent supervisees (N below) through the fake, with 429s and a dropped
    gateway: every answer is in its session exactly once."""
    _register(world)
    fake = world.fake
    n = 40
    people = [fake.create_member(world.guild, f"sup{i}") for i in range(n)]
    private_id(*(p.id for p in people))
    async with world.bot():
        async def one(i, person):
            await (await fake.slash(person, "reflect", guild=world.guild, where="dm")).original(timeout=30)
            dm = fake.dm_channel(person)
            await (await fake.click(person, await next_with_buttons(fake, dm, 30), "Begin")).response(30)
            for k in range(2):
                msg = await next_with_buttons(fake, dm, 30)
                if k == 0 and i % 5 == 0:
                    fake.inject_fault("POST", f"/channels/{dm.id}/messages", status=429, times=1, retry_after=0.1)
                inter = await fake.click(person, msg, "Answer")
                await inter.response(30)
                comp = next(c for c in __import__("tests.fakediscord.state", fromlist=["x"]).iter_components(
                    inter.modal["components"]) if c.get("type") == 4)
                sub = await fake.submit_modal(person, inter, {comp["custom_id"]: f"load answer {i}-{k} about the session"})
                await sub.response(30)

        async def drop_midway():
            await asyncio.sleep(1.0)
            await fake.drop_connection()

        await asyncio.wait_for(asyncio.gather(drop_midway(), *(one(i, p) for i, p in enumerate(people))), 60)
        await asyncio.sleep(0.5)
        for i, person in enumerate(people):
            s = await world.store.open_session_for(_owner(world, person))
            answers = list(State.from_dict(s.state).answers.values())
            assert sorted(answers) == [f"load answer {i}-0 about the session", f"load answer {i}-1 about the session"]
        fake.take_errors()


async def test_representative_flow_logs_at_debug_carry_no_text_ids_or_secrets(world, caplog):
    """caplog at DEBUG through the product's handler filter: no answer, no raw id, no key."""
    import logging
    import os

    from bot.logs import PrivacyFilter

    _register(world)
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(PrivacyFilter())
    fake = world.fake
    async with world.bot():
        await (await fake.slash(world.alice, "reflect", guild=world.guild, where="dm")).original()
        dm = fake.dm_channel(world.alice)
        await (await fake.click(world.alice, await next_with_buttons(fake, dm), "Begin")).response()
        q = await next_with_buttons(fake, dm)
        await answer_via_modal(fake, world.alice, q, SECRET_ANSWERS[0])
        await next_with_buttons(fake, dm)
        listing = await fake.slash(world.alice, "journal list", guild=world.guild)
        await listing.original()  # the deferred reply is filled in before the bot is closed
        fake.take_errors()
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert SECRET_ANSWERS[0][:25] not in text
    for i in (world.alice.id, world.guild.id, world.reflection.id, fake.dm_channel(world.alice).id):
        assert str(i) not in text
    assert os.environ["BOT_SECRET_KEY"] not in text
