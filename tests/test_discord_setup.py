"""/setup end to end: permission checks, time zone validation, settings stored by pseudonym only."""
from __future__ import annotations

from bot.discord_app.common import guild_place
from tests.discord_support import P, world  # noqa: F401

COGS = ("bot.discord_app.cogs.setup",)


async def test_setup_stores_settings_by_pseudonym(world):
    fake = world.fake
    sup_role = fake.create_role(world.guild, "Supervisors")
    other = fake.create_channel(world.guild, "reflect-here")
    digest_room = fake.create_channel(world.guild, "supervisors-only")
    async with world.bot(cogs=COGS) as bot:
        inter = await fake.slash(world.admin, "setup", guild=world.guild, reflection_channel=other,
                                 supervisor_role=sup_role, timezone="Europe/London",
                                 crisis_resources="Line A 0800 111; Line B", supervisors_channel=digest_room)
        msg = await inter.original()
        assert "Saved" in msg.content and "#reflect\\-here" in msg.content and "Europe/London" in msg.content
        assert "Line A 0800 111" in msg.content
        assert msg.ephemeral and msg.allowed_mentions == {"parse": []}
        place = await guild_place(bot, bot.get_guild(world.guild.id))
        assert place.reflection_channel.id == other.id and place.supervisor_role.id == sup_role.id
        assert place.timezone == "Europe/London" and place.crisis_resources == ("Line A 0800 111", "Line B")
        assert place.supervisors_channel.id == digest_room.id and "#supervisors\\-only" in msg.content
    # after a restart the settings are still found (pseudonym scan)
    async with world.bot(cogs=COGS, sync=False) as bot:
        place = await guild_place(bot, bot.get_guild(world.guild.id))
        assert place.reflection_channel.id == other.id
    blob = world.db_bytes()
    assert str(other.id).encode() not in blob and str(sup_role.id).encode() not in blob
    assert str(digest_room.id).encode() not in blob


async def test_setup_refuses_without_manage_guild_and_bad_zone(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        cmd = fake._find_command("setup", world.guild, 1)
        assert int(cmd.payload()["default_member_permissions"]) == P.MANAGE_GUILD
        assert cmd.data.get("dm_permission") is False or cmd.data.get("contexts") == [0]
        inter = await fake.slash(world.alice, "setup", guild=world.guild, timezone="Europe/London")
        resp = await inter.response()
        assert resp.ephemeral and "can't do that" in resp.content
        inter = await fake.slash(world.admin, "setup", guild=world.guild, timezone="Mars/Base")
        resp = await inter.response()
        assert resp.ephemeral and "not a time zone" in resp.content
        inter = await fake.slash(world.admin, "setup", guild=world.guild)
        msg = await inter.original()
        assert "#reflection" in msg.content and "Samaritans" in msg.content
