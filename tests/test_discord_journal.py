"""/journal end to end: list/show/edit/export/delete, the message command, and strangers."""
from __future__ import annotations

import json

from bot.core.ports import NewEntry
from tests.discord_support import assert_no_pings, world  # noqa: F401

COGS = ("bot.discord_app.cogs.journal",)


def owner(world, member):
    return world.current.services.keyring.pseudonym("user", member.id)


async def seed(world, member, text="Supervision note on [NAME-1]: felt stuck and rigid.", case="A.B."):
    return await world.store.save_entry(owner(world, member), None, NewEntry(text=text, case=case, topics=["rigidity"]))


async def test_list_show_export_delete(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        eid = await seed(world, world.alice)
        inter = await fake.slash(world.alice, "journal list", guild=world.guild)
        msg = await inter.original()
        assert msg.ephemeral and eid.replace("-", "\\-").replace("_", "\\_") in msg.content
        inter = await fake.slash(world.alice, "journal show", guild=world.guild, id=eid)
        msg = await inter.original()
        assert msg.ephemeral and "felt stuck and rigid" in msg.content
        inter = await fake.slash(world.alice, "journal export", guild=world.guild, format="json")
        msg = await inter.original()
        assert msg.ephemeral and msg.attachments
        doc = json.loads(next(iter(msg.files.values())).decode())
        assert doc["count"] == 1 and doc["entries"][0]["id"] == eid
        inter = await fake.slash(world.alice, "journal export", guild=world.guild, format="md")
        md = next(iter((await inter.original()).files.values())).decode()
        assert "felt stuck" in md
        inter = await fake.slash(world.alice, "journal delete", guild=world.guild, id=eid)
        msg = await inter.original()
        assert msg.ephemeral and "Delete entry" in msg.content
        done = await (await fake.click(world.alice, msg, "Delete for good")).response()
        assert done.ephemeral and "Deleted" in done.content
        assert await world.store.list_entries(owner(world, world.alice)) == []
    assert_no_pings(fake)


async def test_another_user_cannot_reach_an_entry_by_id(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        eid = await seed(world, world.alice)
        for cmd in ("journal show", "journal edit", "journal delete"):
            inter = await fake.slash(world.bob, cmd, guild=world.guild, id=eid)
            resp = await inter.response()
            msg = await inter.original() if resp.type == 5 else None
            content = msg.content if msg else resp.content
            assert "can't find" in content and "stuck" not in content
        inter = await fake.slash(world.bob, "journal export", guild=world.guild, format="json")
        doc = json.loads(next(iter((await inter.original()).files.values())).decode())
        assert doc["count"] == 0
        # bob deleting all of his own data leaves alice untouched
        inter = await fake.slash(world.bob, "journal delete", guild=world.guild, id="all")
        msg = await inter.original()
        await (await fake.click(world.bob, msg, "Delete everything")).original()
        assert len(await world.store.list_entries(owner(world, world.alice))) == 1
        # bob pressing alice's delete button (custom id carries her entry id) deletes nothing
        inter = await fake.slash(world.alice, "journal delete", guild=world.guild, id=eid)
        msg = await inter.original()
        resp = await (await fake.click(world.bob, msg, "Delete for good")).response()
        assert "can't find" in resp.content
        assert len(await world.store.list_entries(owner(world, world.alice))) == 1


async def test_edit_is_rescrubbed_previewed_and_confirmed(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        eid = await seed(world, world.alice)
        inter = await fake.slash(world.alice, "journal edit", guild=world.guild, id=eid)
        resp = await inter.response()
        assert resp.type == 9 and "felt stuck" in json.dumps(inter.modal)
        sub = await fake.submit_modal(world.alice, inter, {"text": "Met John Smith again, call 07700 900123."})
        preview = await sub.original()
        assert preview.ephemeral and "John Smith" not in preview.content and "replaced" in preview.content
        await (await fake.click(world.alice, preview, "Save this version")).response()
        entry = await world.store.get_entry(owner(world, world.alice), eid)
        assert "John" not in entry.text and len(entry.history) == 1


async def test_save_own_message_from_context_menu(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        mine = await fake.say(world.alice, world.reflection, "Today I noticed my own rigidity with a client.")
        theirs = await fake.say(world.bob, world.reflection, "Bob's own thought.")
        resp = await (await fake.message_command(world.alice, "Save to my reflection journal", theirs)).response()
        assert resp.ephemeral and "only save your own" in resp.content
        inter = await fake.message_command(world.alice, "Save to my reflection journal", mine)
        preview = await inter.original()
        assert preview.ephemeral and "rigidity" in preview.content
        await (await fake.click(world.alice, preview, "Yes, save it")).response()
        entries = await world.store.list_entries(owner(world, world.alice))
        assert len(entries) == 1 and "rigidity" in entries[0].text
