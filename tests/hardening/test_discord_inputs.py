"""Hostile input through the Discord paths: /learn and /term (and their autocomplete), a
supervisor's /prompt save, the /journal edit modal and answers through the reflection modal.

Every payload of payloads.py (plus empty and blank), cut to what Discord would deliver (option
strings: 6000 characters; modal text inputs: their max_length). Each gets a clear ephemeral
reply, no crash (no "something went wrong"), no ping (allowed_mentions none, checked by the
world fixture), and no template evaluation (`{{ 7*7 }}` never becomes 49).
"""
from __future__ import annotations

import json

from bot.core.flow import State
from bot.core.ports import NewEntry
from tests.discord_support import all_bot_payloads, assert_no_pings, world  # noqa: F401
from tests.fakediscord.state import iter_components
from tests.hardening.conftest import private, private_id
from tests.hardening.payloads import PAYLOADS, TEMPLATE_RESULTS
from tests.supervisor_support import sworld  # noqa: F401
from tests.test_discord_reflect import next_with_buttons

OPTION_MAX = 6000  # Discord's cap on a string option value
ERROR_WORDS = "something went wrong"
CASES = {**PAYLOADS, "empty": "", "blank": "   \n\t "}


def _opt(value: str) -> str:
    return value[:OPTION_MAX]


def _no_template_result(text: str, sent: str = "") -> None:
    for bad in TEMPLATE_RESULTS:
        assert bad not in text or bad in sent, (bad, text[:300])


async def _slash(fake, user, guild, command, **values):
    """A slash command with arbitrary option names (fake.slash reserves `name`)."""
    ch = fake.default_channel(guild)
    cmd = fake._find_command(command, guild, 1)
    resolved, opts = fake._build_options(cmd, command, values, ch)
    data = {"id": str(cmd.id), "name": cmd.name, "type": 1, "options": opts}
    if cmd.guild_id is not None:
        data["guild_id"] = str(cmd.guild_id)
    return await fake._send_interaction(fake._interaction_base(2, user, ch, data))


async def _reply_text(inter) -> str:
    resp = await inter.response()
    assert resp.ephemeral, "a reply to hostile input must be ephemeral"
    text = resp.content or ""
    if resp.type == 5:  # deferred: the answer is the edited original
        text = (await inter.original()).content
    return text + "".join(f.content for f in inter.followups)


async def test_learn_and_term_take_any_argument_and_autocomplete(world):
    fake = world.fake
    private_id(world.alice.id, world.guild.id)
    async with world.bot(cogs=("bot.discord_app.cogs.learning",)):
        for key, raw in CASES.items():
            value = _opt(raw)
            for command, option in (("learn", "topic"), ("term", "name")):
                choices = await fake.autocomplete(world.alice, command, focused=option, value=value, guild=world.guild)
                assert isinstance(choices, list) and len(choices) <= 25, (key, command)
                for c in choices:
                    assert 1 <= len(c["name"]) <= 100 and c["value"], (key, c)
                if not value:  # Discord does not send a required string option empty
                    continue
                text = await _reply_text(await _slash(fake, world.alice, world.guild, command, **{option: value}))
                assert "don't know" in text, (key, command, text[:200])
                assert ERROR_WORDS not in text.lower(), (key, command)
                _no_template_result(text)
                assert len(text) < 2000, f"{command} with {key}: the reply echoes {len(text)} characters"
                assert "@everyone" not in text.replace("@\u200beveryone", "") or "\\@everyone" in text, key
        assert fake.take_errors() == []
    assert_no_pings(fake)


async def test_supervisor_prompt_save_with_hostile_template_text(sworld):
    """Each hostile text is refused clearly, or saved and then posted inertly."""
    fake = sworld.fake
    cogs = ("bot.discord_app.cogs.prompts",)
    async with sworld.bot(cogs=cogs):
        for n, (key, raw) in enumerate(CASES.items()):
            value = _opt(raw)
            if not value:
                continue
            name = f"hostile{n}"
            inter = await fake.slash(sworld.supervisor, "prompt save", guild=sworld.guild, template=name, text=value)
            text = await _reply_text(inter)
            assert ERROR_WORDS not in text.lower(), (key, text[:200])
            _no_template_result(text)
            saved = "Saved the template" in text
            assert saved or "can't be used" in text or "empty" in text.lower(), (key, text[:300])
            if not saved:
                continue
            before = len(fake.bot_messages(sworld.group))
            inter = await fake.slash(sworld.supervisor, "prompt post", guild=sworld.guild, channel=sworld.group,
                                     prompt=name)
            text = await _reply_text(inter)
            assert ERROR_WORDS not in text.lower(), (key, text[:200])
            posts = [m for m in fake.bot_messages(sworld.group)[before:] if not m.ephemeral]
            for m in posts:
                _no_template_result(m.text)
        assert fake.take_errors() == []
    assert_no_pings(fake)


async def test_journal_edit_modal_with_hostile_text(world):
    fake = world.fake
    private_id(world.alice.id, world.guild.id)
    async with world.bot(cogs=("bot.discord_app.cogs.journal",)):
        owner = world.current.services.keyring.pseudonym("user", world.alice.id)
        eid = await world.store.save_entry(owner, None, NewEntry(text="A first note about rigidity."))
        for key, raw in CASES.items():
            value = raw[:4000]  # the modal's max_length: Discord would not submit more
            if not value:
                continue  # a required text input: Discord would not submit it empty
            private(value)
            inter = await fake.slash(world.alice, "journal edit", guild=world.guild, id=eid)
            assert (await inter.response()).type == 9
            sub = await fake.submit_modal(world.alice, inter, {"text": value})
            preview = await sub.original()
            assert preview.ephemeral and ERROR_WORDS not in preview.content.lower(), key
            _no_template_result(preview.content)
            if not value.strip():
                assert "empty" in preview.content and not preview.buttons, key
                continue
            # a long preview is split: the buttons come on its last part (a follow-up)
            last = await fake._wait_for(lambda: next((m for m in [preview, *sub.followups] if m.buttons), None),
                                        5.0, "the preview's buttons")
            for part in sub.followups:
                assert ERROR_WORDS not in part.content.lower(), key
                _no_template_result(part.content)
            await (await fake.click(world.alice, last, "Save this version")).response()
            entry = await world.store.get_entry(owner, eid)
            assert entry is not None and not entry.unreadable, key
            _no_template_result(entry.text, value)
        # an entry longer than the form can hold: told so (the limit named), no modal
        long_id = await world.store.save_entry(owner, None, NewEntry(text=PAYLOADS["long"][:5000]))
        text = await _reply_text(await fake.slash(world.alice, "journal edit", guild=world.guild, id=long_id))
        assert "longer than a Discord form" in text and "4000" in text, text[:200]
        assert fake.take_errors() == []
    assert_no_pings(fake)


async def test_reflection_answers_through_the_modal_with_every_payload(world):
    """Each payload (cut to the modal's 4000) is kept whole in the session; what the bot shows next
    carries no template result and no error."""
    fake = world.fake
    private_id(world.alice.id, world.guild.id)
    async with world.bot():
        await (await fake.slash(world.alice, "reflect", guild=world.guild, where="dm")).original()
        dm = fake.dm_channel(world.alice)
        await (await fake.click(world.alice, await next_with_buttons(fake, dm), "Begin")).response()
        owner = world.current.services.keyring.pseudonym("user", world.alice.id)
        msg = await next_with_buttons(fake, dm)
        for key, raw in CASES.items():
            value = raw[:4000]
            if not value:
                continue
            private(value)
            seen = len(fake.bot_messages(dm))
            inter = await fake.click(world.alice, msg, "Answer")
            await inter.response()
            comp = next(c for c in iter_components(inter.modal["components"]) if c.get("type") == 4)
            sub = await fake.submit_modal(world.alice, inter, {comp["custom_id"]: value})
            await sub.response()
            msg = await next_with_buttons(fake, dm)
            shown = "\n".join(m.text for m in fake.bot_messages(dm)[seen:])
            assert ERROR_WORDS not in shown.lower(), key
            _no_template_result(shown)
            state = State.from_dict((await world.store.open_session_for(owner)).state)
            if value.strip():
                assert value.strip() in state.answers.values(), key
            if "Back" in (msg.button_labels or []) and "Answer" in (msg.button_labels or []):
                # stay on the same question: go back to it and overwrite with the next payload
                await (await fake.click(world.alice, msg, "Back")).response()
                msg = await next_with_buttons(fake, dm)
            elif "Continue" in (msg.button_labels or []):
                await (await fake.click(world.alice, msg, "Continue")).response()
                msg = await next_with_buttons(fake, dm)
                await (await fake.click(world.alice, msg, "Back")).response()
                msg = await next_with_buttons(fake, dm)
        assert fake.take_errors() == []
        assert json.dumps([m.allowed_mentions for m in all_bot_payloads(fake)]).count("everyone") == 0
    assert_no_pings(fake)
